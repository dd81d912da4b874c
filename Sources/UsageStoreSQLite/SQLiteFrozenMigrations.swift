/// The SQLite schema's shipped migrations 003 to 007, frozen as the literal SQL they ran: what a
/// migration does never changes, so none of them calls code that runs today (the core's
/// `RollupContribution` holds that, and may change). A new migration is a new literal here and a line in
/// ``SQLiteMigrations``.
enum SQLiteFrozenMigrations {
    /// 003: the report rollups (see `RollupContribution` and `RollupCells` for their meaning), with per-row triggers on
    /// `instance_days`, filled from the rows already there. (As shipped, the fill was the Swift
    /// rebuild of the time; this is the same computation in SQL, with the Monday of
    /// `UTCDay.startOfWeek` that the rebuild used.)
    static let migration003: String = #"""
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
        """#

    /// 004: the insert and update triggers go (the store's writer of the time did their work), and
    /// `daily_rollup` gains `new`, the instances whose first day it is (for `*`) or whose latest
    /// region the scope is, kept by triggers on `instances`.
    static let migration004: String = #"""
        DROP TRIGGER IF EXISTS instance_days_inserted;
        DROP TRIGGER IF EXISTS instance_days_pinged;
        DROP TRIGGER IF EXISTS instance_days_region_changed;
        ALTER TABLE daily_rollup ADD COLUMN new INTEGER NOT NULL DEFAULT 0;
        CREATE TRIGGER instances_inserted AFTER INSERT ON instances BEGIN
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(NEW.region, 'unknown'), NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        END;
        CREATE TRIGGER instances_deleted AFTER DELETE ON instances BEGIN
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(OLD.region, 'unknown'), OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        END;
        CREATE TRIGGER instances_moved AFTER UPDATE OF first_day, region ON instances
        WHEN OLD.first_day != NEW.first_day OR OLD.region IS NOT NEW.region BEGIN
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(OLD.region, 'unknown'), OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(NEW.region, 'unknown'), NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        END;
        UPDATE daily_rollup SET new = 0 WHERE new != 0;
        INSERT INTO daily_rollup (scope, day, active, pings, new)
            SELECT '*', first_day, 0, 0, count(*) FROM instances WHERE 1 GROUP BY first_day
            ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new)
            SELECT coalesce(region, 'unknown'), first_day, 0, 0, count(*) FROM instances WHERE 1 GROUP BY 1, first_day
            ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new;
        """#

    /// 005: the deletion and cohort triggers of 003 again, with a week's Monday as
    /// `day - ((day % 7 + 10) % 7)`, right for negative day numbers too (SQLite's `%` keeps the
    /// sign of the left side, so 003's `day - ((day + 3) % 7)` put days before 1969-12-29 in the
    /// wrong week), and the retention cells recomputed where such a day may have been counted.
    static let migration005: String = #"""
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
        """#

    /// 006: `days_seen_delta(seen, day, delta)`, how many of the 28 days ending on each day each
    /// instance was seen on, as a difference array per count (see ``DaysSeen``), filled from the
    /// rows: per instance, its count changes on each of its days (+1) and 28 days after each (−1);
    /// each stretch between two changes with a count above 0 adds one entry at its start and
    /// takes one away at its end.
    static let migration006: String = #"""
        CREATE TABLE days_seen_delta (
            seen INTEGER NOT NULL,
            day INTEGER NOT NULL,
            delta INTEGER NOT NULL,
            PRIMARY KEY (seen, day)
        ) WITHOUT ROWID;
        INSERT INTO days_seen_delta (seen, day, delta)
            WITH runs AS (
                SELECT e, sum(n) OVER (PARTITION BY instance_id ORDER BY e) AS c,
                       lead(e) OVER (PARTITION BY instance_id ORDER BY e) AS next
                FROM (SELECT instance_id, e, sum(n) AS n FROM (
                          SELECT instance_id, day AS e, 1 AS n FROM instance_days
                          UNION ALL SELECT instance_id, day + 28, -1 FROM instance_days
                      ) GROUP BY instance_id, e)
            )
            SELECT seen, day, sum(delta) FROM (
                SELECT c AS seen, e AS day, 1 AS delta FROM runs WHERE c > 0
                UNION ALL SELECT c, next, -1 FROM runs WHERE c > 0
            ) GROUP BY seen, day HAVING sum(delta) != 0;
        """#

    /// 007: every trigger goes: the folds write every rollup row themselves, with the core's
    /// arithmetic (`InstanceFold`), for deletions and summaries too. The rollup rows stay as
    /// they are: the folds keep the same numbers.
    static let migration007: String = #"""
        DROP TRIGGER IF EXISTS instance_days_inserted;
        DROP TRIGGER IF EXISTS instance_days_deleted;
        DROP TRIGGER IF EXISTS instance_days_pinged;
        DROP TRIGGER IF EXISTS instance_days_region_changed;
        DROP TRIGGER IF EXISTS instances_cohort_changed;
        DROP TRIGGER IF EXISTS instances_inserted;
        DROP TRIGGER IF EXISTS instances_deleted;
        DROP TRIGGER IF EXISTS instances_moved;
        """#
}
