-- 005: the deletion and cohort triggers of 003 again, with a week's Monday as
-- `day - ((day % 7 + 10) % 7)`, right for negative day numbers too (SQLite's `%` keeps the
-- sign of the left side, so 003's `day - ((day + 3) % 7)` put days before 1969-12-29 in the
-- wrong week), and the retention cells recomputed where such a day may have been counted.

DROP TRIGGER IF EXISTS instance_days_deleted;
DROP TRIGGER IF EXISTS instances_cohort_changed;
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
    SELECT (i.first_day - ((i.first_day % 7 + 10) % 7)), (OLD.day - ((OLD.day % 7 + 10) % 7)), -1 FROM instances i
    WHERE i.instance_id = OLD.instance_id
      AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = OLD.instance_id
                      AND d.day BETWEEN (OLD.day - ((OLD.day % 7 + 10) % 7)) AND (OLD.day - ((OLD.day % 7 + 10) % 7)) + 6 AND d.day != OLD.day)
    ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
END;
CREATE TRIGGER instances_cohort_changed AFTER UPDATE OF first_day ON instances
WHEN (OLD.first_day - ((OLD.first_day % 7 + 10) % 7)) != (NEW.first_day - ((NEW.first_day % 7 + 10) % 7)) BEGIN
    INSERT INTO retention_weeks (cohort, week, instances)
    SELECT (OLD.first_day - ((OLD.first_day % 7 + 10) % 7)), w, -1 FROM (SELECT DISTINCT (day - ((day % 7 + 10) % 7)) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
    ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
    INSERT INTO retention_weeks (cohort, week, instances)
    SELECT (NEW.first_day - ((NEW.first_day % 7 + 10) % 7)), w, 1 FROM (SELECT DISTINCT (day - ((day % 7 + 10) % 7)) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
    ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
END;
DELETE FROM retention_weeks WHERE (SELECT min(day) FROM instance_days) < -3;
INSERT INTO retention_weeks (cohort, week, instances)
    SELECT (i.first_day - ((i.first_day % 7 + 10) % 7)), w.week, count(*)
    FROM (SELECT DISTINCT instance_id, (day - ((day % 7 + 10) % 7)) AS week FROM instance_days) w
    JOIN instances i ON i.instance_id = w.instance_id
    WHERE (SELECT min(day) FROM instance_days) < -3
    GROUP BY 1, 2;
