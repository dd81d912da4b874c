PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('2026-11-29-001-instance-days');
INSERT INTO grdb_migrations VALUES('2026-11-29-002-settings');
INSERT INTO grdb_migrations VALUES('2026-11-29-003-report-rollups');
INSERT INTO grdb_migrations VALUES('2026-11-29-004-batched-rollups');
CREATE TABLE instance_days (
    instance_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    region TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    pings INTEGER NOT NULL CHECK (pings > 0),
    PRIMARY KEY (instance_id, day)
) WITHOUT ROWID;
INSERT INTO instance_days VALUES('i-00000001',20790,'us-west-2',1796310368864,1796310368877,2);
INSERT INTO instance_days VALUES('i-00000002',20790,'us-west-2',1796310368887,1796310368898,2);
INSERT INTO instance_days VALUES('i-00000003',20790,'us-west-2',1796310368908,1796310368920,2);
INSERT INTO instance_days VALUES('i-00000004',20790,'us-west-2',1796310368932,1796310368947,2);
INSERT INTO instance_days VALUES('i-00000005',20790,'us-west-2',1796310368957,1796310368971,2);
INSERT INTO instance_days VALUES('i-00000006',20790,'us-west-2',1796310368984,1796310368996,2);
INSERT INTO instance_days VALUES('i-00000007',20790,'us-west-2',1796310369010,1796310369021,2);
INSERT INTO instance_days VALUES('i-00000008',20790,'us-west-2',1796310369031,1796310369043,2);
INSERT INTO instance_days VALUES('i-00000009',20790,'us-west-2',1796310369054,1796310369064,2);
INSERT INTO instance_days VALUES('i-0000000a',20759,'us-west-2',1793606400000,1793642400000,2);
INSERT INTO instance_days VALUES('i-0000000a',20760,'us-west-2',1793667600000,1793667600000,1);
INSERT INTO instance_days VALUES('i-0000000a',20767,'us-west-2',1794268800000,1794268800000,1);
INSERT INTO instance_days VALUES('i-0000000a',20773,'us-west-2',1794808800000,1794808800000,1);
INSERT INTO instance_days VALUES('i-0000000a',20790,'us-west-2',1796310369075,1796310369085,2);
INSERT INTO instance_days VALUES('i-0000000b',20759,'us-west-2',1793611800000,1793611800000,1);
INSERT INTO instance_days VALUES('i-0000000b',20766,'us-west-2',1794268799999,1794268799999,1);
INSERT INTO instance_days VALUES('i-0000000b',20790,'us-west-2',1796310369096,1796310369106,2);
INSERT INTO instance_days VALUES('i-0000000c',20761,'eu-west-1',1793793600000,1793793600000,1);
INSERT INTO instance_days VALUES('i-0000000c',20762,'eu-west-1',1793880000000,1793880000000,1);
INSERT INTO instance_days VALUES('i-0000000c',20763,'eu-west-1',1793966400000,1793966400000,1);
INSERT INTO instance_days VALUES('i-0000000c',20790,'us-west-2',1796310369115,1796310369126,2);
INSERT INTO instance_days VALUES('i-0000000d',20767,'cn-north-1',1794276000000,1794276000000,1);
INSERT INTO instance_days VALUES('i-0000000e',20773,NULL,1794812400000,1794812400000,1);
INSERT INTO instance_days VALUES('i-0abc0000000000001',20790,'eu-west-1',1796310369141,1796310369141,1);
INSERT INTO instance_days VALUES('i-0abc0000000000002',20790,'eu-west-1',1796310369152,1796310369152,1);
INSERT INTO instance_days VALUES('i-0abc0000000000003',20790,'eu-west-1',1796310369164,1796310369164,1);
INSERT INTO instance_days VALUES('i-0abc0000000000004',20790,'eu-west-1',1796310369177,1796310369177,1);
INSERT INTO instance_days VALUES('i-0abc0000000000005',20790,'eu-west-1',1796310369195,1796310369195,1);
INSERT INTO instance_days VALUES('i-0feedbee',20790,NULL,1796310369209,1796310369209,1);
CREATE TABLE instances (
    instance_id TEXT NOT NULL PRIMARY KEY,
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    region TEXT
) WITHOUT ROWID;
INSERT INTO instances VALUES('i-00000001',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000002',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000003',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000004',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000005',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000006',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000007',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000008',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-00000009',20790,20790,'us-west-2');
INSERT INTO instances VALUES('i-0000000a',20759,20790,'us-west-2');
INSERT INTO instances VALUES('i-0000000b',20759,20790,'us-west-2');
INSERT INTO instances VALUES('i-0000000c',20761,20790,'us-west-2');
INSERT INTO instances VALUES('i-0000000d',20767,20767,'cn-north-1');
INSERT INTO instances VALUES('i-0000000e',20773,20773,NULL);
INSERT INTO instances VALUES('i-0abc0000000000001',20790,20790,'eu-west-1');
INSERT INTO instances VALUES('i-0abc0000000000002',20790,20790,'eu-west-1');
INSERT INTO instances VALUES('i-0abc0000000000003',20790,20790,'eu-west-1');
INSERT INTO instances VALUES('i-0abc0000000000004',20790,20790,'eu-west-1');
INSERT INTO instances VALUES('i-0abc0000000000005',20790,20790,'eu-west-1');
INSERT INTO instances VALUES('i-0feedbee',20790,20790,NULL);
CREATE TABLE settings (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO settings VALUES('pseudonymization','none');
CREATE TABLE daily_rollup (
    scope TEXT NOT NULL,
    day INTEGER NOT NULL,
    active INTEGER NOT NULL,
    pings INTEGER NOT NULL, new INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, day)
) WITHOUT ROWID;
INSERT INTO daily_rollup VALUES('*',20759,2,3,2);
INSERT INTO daily_rollup VALUES('*',20760,1,1,0);
INSERT INTO daily_rollup VALUES('*',20761,1,1,1);
INSERT INTO daily_rollup VALUES('*',20762,1,1,0);
INSERT INTO daily_rollup VALUES('*',20763,1,1,0);
INSERT INTO daily_rollup VALUES('*',20766,1,1,0);
INSERT INTO daily_rollup VALUES('*',20767,2,2,1);
INSERT INTO daily_rollup VALUES('*',20773,2,2,1);
INSERT INTO daily_rollup VALUES('*',20790,18,30,15);
INSERT INTO daily_rollup VALUES('cn-north-1',20767,1,1,1);
INSERT INTO daily_rollup VALUES('eu-west-1',20761,1,1,0);
INSERT INTO daily_rollup VALUES('eu-west-1',20762,1,1,0);
INSERT INTO daily_rollup VALUES('eu-west-1',20763,1,1,0);
INSERT INTO daily_rollup VALUES('eu-west-1',20790,5,5,5);
INSERT INTO daily_rollup VALUES('unknown',20773,1,1,1);
INSERT INTO daily_rollup VALUES('unknown',20790,1,1,1);
INSERT INTO daily_rollup VALUES('us-west-2',20759,2,3,2);
INSERT INTO daily_rollup VALUES('us-west-2',20760,1,1,0);
INSERT INTO daily_rollup VALUES('us-west-2',20761,0,0,1);
INSERT INTO daily_rollup VALUES('us-west-2',20766,1,1,0);
INSERT INTO daily_rollup VALUES('us-west-2',20767,1,1,0);
INSERT INTO daily_rollup VALUES('us-west-2',20773,1,1,0);
INSERT INTO daily_rollup VALUES('us-west-2',20790,12,24,9);
CREATE TABLE window_delta (
    window INTEGER NOT NULL,
    scope TEXT NOT NULL,
    day INTEGER NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (window, scope, day)
) WITHOUT ROWID;
INSERT INTO window_delta VALUES(7,'*',20759,2);
INSERT INTO window_delta VALUES(7,'*',20761,1);
INSERT INTO window_delta VALUES(7,'*',20767,1);
INSERT INTO window_delta VALUES(7,'*',20770,-1);
INSERT INTO window_delta VALUES(7,'*',20774,-1);
INSERT INTO window_delta VALUES(7,'*',20780,-2);
INSERT INTO window_delta VALUES(7,'*',20790,18);
INSERT INTO window_delta VALUES(7,'*',20797,-18);
INSERT INTO window_delta VALUES(7,'cn-north-1',20767,1);
INSERT INTO window_delta VALUES(7,'cn-north-1',20774,-1);
INSERT INTO window_delta VALUES(7,'eu-west-1',20761,1);
INSERT INTO window_delta VALUES(7,'eu-west-1',20770,-1);
INSERT INTO window_delta VALUES(7,'eu-west-1',20790,5);
INSERT INTO window_delta VALUES(7,'eu-west-1',20797,-5);
INSERT INTO window_delta VALUES(7,'unknown',20773,1);
INSERT INTO window_delta VALUES(7,'unknown',20780,-1);
INSERT INTO window_delta VALUES(7,'unknown',20790,1);
INSERT INTO window_delta VALUES(7,'unknown',20797,-1);
INSERT INTO window_delta VALUES(7,'us-west-2',20759,2);
INSERT INTO window_delta VALUES(7,'us-west-2',20773,-1);
INSERT INTO window_delta VALUES(7,'us-west-2',20780,-1);
INSERT INTO window_delta VALUES(7,'us-west-2',20790,12);
INSERT INTO window_delta VALUES(7,'us-west-2',20797,-12);
INSERT INTO window_delta VALUES(28,'*',20759,2);
INSERT INTO window_delta VALUES(28,'*',20761,1);
INSERT INTO window_delta VALUES(28,'*',20767,1);
INSERT INTO window_delta VALUES(28,'*',20773,1);
INSERT INTO window_delta VALUES(28,'*',20790,15);
INSERT INTO window_delta VALUES(28,'*',20791,0);
INSERT INTO window_delta VALUES(28,'*',20794,0);
INSERT INTO window_delta VALUES(28,'*',20795,-1);
INSERT INTO window_delta VALUES(28,'*',20801,-1);
INSERT INTO window_delta VALUES(28,'*',20818,-18);
INSERT INTO window_delta VALUES(28,'cn-north-1',20767,1);
INSERT INTO window_delta VALUES(28,'cn-north-1',20795,-1);
INSERT INTO window_delta VALUES(28,'eu-west-1',20761,1);
INSERT INTO window_delta VALUES(28,'eu-west-1',20790,5);
INSERT INTO window_delta VALUES(28,'eu-west-1',20791,-1);
INSERT INTO window_delta VALUES(28,'eu-west-1',20818,-5);
INSERT INTO window_delta VALUES(28,'unknown',20773,1);
INSERT INTO window_delta VALUES(28,'unknown',20790,1);
INSERT INTO window_delta VALUES(28,'unknown',20801,-1);
INSERT INTO window_delta VALUES(28,'unknown',20818,-1);
INSERT INTO window_delta VALUES(28,'us-west-2',20759,2);
INSERT INTO window_delta VALUES(28,'us-west-2',20790,10);
INSERT INTO window_delta VALUES(28,'us-west-2',20794,0);
INSERT INTO window_delta VALUES(28,'us-west-2',20801,0);
INSERT INTO window_delta VALUES(28,'us-west-2',20818,-12);
CREATE TABLE retention_weeks (
    cohort INTEGER NOT NULL,
    week INTEGER NOT NULL,
    instances INTEGER NOT NULL,
    PRIMARY KEY (cohort, week)
) WITHOUT ROWID;
INSERT INTO retention_weeks VALUES(20759,20759,3);
INSERT INTO retention_weeks VALUES(20759,20766,2);
INSERT INTO retention_weeks VALUES(20759,20773,1);
INSERT INTO retention_weeks VALUES(20759,20787,3);
INSERT INTO retention_weeks VALUES(20766,20766,1);
INSERT INTO retention_weeks VALUES(20773,20773,1);
INSERT INTO retention_weeks VALUES(20787,20787,15);
CREATE INDEX instance_days_by_day ON instance_days (day, instance_id);
CREATE INDEX instances_by_first_day ON instances (first_day);
CREATE INDEX instances_by_last_day ON instances (last_day);
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
COMMIT;
