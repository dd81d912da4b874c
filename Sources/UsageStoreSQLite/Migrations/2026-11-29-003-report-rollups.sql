-- 003: the report rollups (see `RollupContribution` and `RollupCells` for their meaning), with per-row triggers on
-- `instance_days`, filled from the rows already there. (As shipped, the fill was the Swift
-- rebuild of the time; this is the same computation in SQL, with the Monday of
-- `UTCDay.startOfWeek` that the rebuild used.)

CREATE TABLE daily_rollup (
    scope TEXT NOT NULL,
    day INTEGER NOT NULL,
    active INTEGER NOT NULL,
    pings INTEGER NOT NULL,
    PRIMARY KEY (scope, day)
) WITHOUT ROWID;
CREATE TABLE window_delta (
    window INTEGER NOT NULL,
    scope TEXT NOT NULL,
    day INTEGER NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (window, scope, day)
) WITHOUT ROWID;
CREATE TABLE retention_weeks (
    cohort INTEGER NOT NULL,
    week INTEGER NOT NULL,
    instances INTEGER NOT NULL,
    PRIMARY KEY (cohort, week)
) WITHOUT ROWID;
CREATE INDEX instances_by_last_day ON instances (last_day);

CREATE TRIGGER instance_days_inserted AFTER INSERT ON instance_days BEGIN
    INSERT INTO daily_rollup (scope, day, active, pings)
SELECT '*', NEW.day, 1, 1 * NEW.pings WHERE 1
ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 7, '*', CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN 1 ELSE -1 END
FROM (SELECT max(NEW.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = NEW.instance_id  AND day < NEW.day) + 7, NEW.day)) AS s,
             min(NEW.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = NEW.instance_id  AND day > NEW.day) - 1, NEW.day + 6)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 28, '*', CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN 1 ELSE -1 END
FROM (SELECT max(NEW.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = NEW.instance_id  AND day < NEW.day) + 28, NEW.day)) AS s,
             min(NEW.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = NEW.instance_id  AND day > NEW.day) - 1, NEW.day + 27)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
    INSERT INTO daily_rollup (scope, day, active, pings)
SELECT coalesce(NEW.region, 'unknown'), NEW.day, 1, 1 * NEW.pings WHERE 1
ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 7, coalesce(NEW.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN 1 ELSE -1 END
FROM (SELECT max(NEW.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day < NEW.day) + 7, NEW.day)) AS s,
             min(NEW.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day > NEW.day) - 1, NEW.day + 6)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 28, coalesce(NEW.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN 1 ELSE -1 END
FROM (SELECT max(NEW.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day < NEW.day) + 28, NEW.day)) AS s,
             min(NEW.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day > NEW.day) - 1, NEW.day + 27)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
    INSERT INTO retention_weeks (cohort, week, instances)
SELECT (i.first_day - ((i.first_day + 3) % 7)), (NEW.day - ((NEW.day + 3) % 7)), 1 FROM instances i
WHERE i.instance_id = NEW.instance_id
  AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = NEW.instance_id
                  AND d.day BETWEEN (NEW.day - ((NEW.day + 3) % 7)) AND (NEW.day - ((NEW.day + 3) % 7)) + 6 AND d.day != NEW.day)
ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
END;
CREATE TRIGGER instance_days_pinged AFTER UPDATE OF pings ON instance_days BEGIN
    UPDATE daily_rollup SET pings = pings + NEW.pings - OLD.pings WHERE scope = '*' AND day = NEW.day;
    UPDATE daily_rollup SET pings = pings + NEW.pings - OLD.pings
    WHERE OLD.region IS NEW.region AND scope = coalesce(NEW.region, 'unknown') AND day = NEW.day;
END;
CREATE TRIGGER instance_days_region_changed AFTER UPDATE OF region ON instance_days
WHEN OLD.region IS NOT NEW.region BEGIN
    INSERT INTO daily_rollup (scope, day, active, pings)
SELECT coalesce(OLD.region, 'unknown'), OLD.day, -1, -1 * OLD.pings WHERE 1
ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 7, coalesce(OLD.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day < OLD.day) + 7, OLD.day)) AS s,
             min(OLD.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day > OLD.day) - 1, OLD.day + 6)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 28, coalesce(OLD.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day < OLD.day) + 28, OLD.day)) AS s,
             min(OLD.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day > OLD.day) - 1, OLD.day + 27)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
    INSERT INTO daily_rollup (scope, day, active, pings)
SELECT coalesce(NEW.region, 'unknown'), NEW.day, 1, 1 * NEW.pings WHERE 1
ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 7, coalesce(NEW.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN 1 ELSE -1 END
FROM (SELECT max(NEW.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day < NEW.day) + 7, NEW.day)) AS s,
             min(NEW.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day > NEW.day) - 1, NEW.day + 6)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 28, coalesce(NEW.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN 1 ELSE -1 END
FROM (SELECT max(NEW.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day < NEW.day) + 28, NEW.day)) AS s,
             min(NEW.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = NEW.instance_id AND region IS NEW.region AND day > NEW.day) - 1, NEW.day + 27)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
END;
CREATE TRIGGER instance_days_deleted AFTER DELETE ON instance_days BEGIN
    INSERT INTO daily_rollup (scope, day, active, pings)
SELECT '*', OLD.day, -1, -1 * OLD.pings WHERE 1
ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 7, '*', CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day < OLD.day) + 7, OLD.day)) AS s,
             min(OLD.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day > OLD.day) - 1, OLD.day + 6)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 28, '*', CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day < OLD.day) + 28, OLD.day)) AS s,
             min(OLD.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day > OLD.day) - 1, OLD.day + 27)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
    INSERT INTO daily_rollup (scope, day, active, pings)
SELECT coalesce(OLD.region, 'unknown'), OLD.day, -1, -1 * OLD.pings WHERE 1
ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 7, coalesce(OLD.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day < OLD.day) + 7, OLD.day)) AS s,
             min(OLD.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day > OLD.day) - 1, OLD.day + 6)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
INSERT INTO window_delta (window, scope, day, delta)
SELECT 28, coalesce(OLD.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day < OLD.day) + 28, OLD.day)) AS s,
             min(OLD.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day > OLD.day) - 1, OLD.day + 27)) AS e),
     (SELECT 1 AS k UNION ALL SELECT 2)
WHERE s <= e
ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
    INSERT INTO retention_weeks (cohort, week, instances)
SELECT (i.first_day - ((i.first_day + 3) % 7)), (OLD.day - ((OLD.day + 3) % 7)), -1 FROM instances i
WHERE i.instance_id = OLD.instance_id
  AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = OLD.instance_id
                  AND d.day BETWEEN (OLD.day - ((OLD.day + 3) % 7)) AND (OLD.day - ((OLD.day + 3) % 7)) + 6 AND d.day != OLD.day)
ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
END;
CREATE TRIGGER instances_cohort_changed AFTER UPDATE OF first_day ON instances
WHEN (OLD.first_day - ((OLD.first_day + 3) % 7)) != (NEW.first_day - ((NEW.first_day + 3) % 7)) BEGIN
    INSERT INTO retention_weeks (cohort, week, instances)
    SELECT (OLD.first_day - ((OLD.first_day + 3) % 7)), w, -1 FROM (SELECT DISTINCT (day - ((day + 3) % 7)) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
    ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
    INSERT INTO retention_weeks (cohort, week, instances)
    SELECT (NEW.first_day - ((NEW.first_day + 3) % 7)), w, 1 FROM (SELECT DISTINCT (day - ((day + 3) % 7)) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
    ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
END;
INSERT INTO daily_rollup (scope, day, active, pings)
    SELECT '*', day, count(*), sum(pings) FROM instance_days WHERE 1 GROUP BY day;
INSERT INTO daily_rollup (scope, day, active, pings)
    SELECT coalesce(region, 'unknown'), day, count(*), sum(pings) FROM instance_days WHERE 1 GROUP BY 1, 2;
INSERT INTO window_delta (window, scope, day, delta)
    WITH ordered AS (
        SELECT '*' AS scope, day, lag(day) OVER (PARTITION BY instance_id ORDER BY day) AS previous FROM instance_days
        UNION ALL
        SELECT coalesce(region, 'unknown'), day, lag(day) OVER (PARTITION BY instance_id, region ORDER BY day) FROM instance_days
    ), windows (w) AS (VALUES (7), (28))
    SELECT w, scope, d, sum(delta) FROM (
        SELECT w, scope, max(day, coalesce(previous + w, day)) AS d, 1 AS delta FROM ordered, windows
        UNION ALL SELECT w, scope, day + w, -1 FROM ordered, windows
    ) GROUP BY w, scope, d HAVING sum(delta) != 0;
INSERT INTO retention_weeks (cohort, week, instances)
    SELECT (i.first_day - ((i.first_day % 7 + 10) % 7)), w.week, count(*)
    FROM (SELECT DISTINCT instance_id, (day - ((day % 7 + 10) % 7)) AS week FROM instance_days) w
    JOIN instances i ON i.instance_id = w.instance_id
    WHERE 1 GROUP BY 1, 2;
