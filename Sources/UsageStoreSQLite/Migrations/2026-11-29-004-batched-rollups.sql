-- 004: the insert and update triggers go (the store's writer of the time did their work), and
-- `daily_rollup` gains `new`, the instances whose first day it is (for `*`) or whose latest
-- region the scope is, kept by triggers on `instances`.

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
