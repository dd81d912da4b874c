-- 001: the day rows and the instance rows. Days are counted since 1970-01-01 UTC; times are
-- milliseconds since the epoch.

CREATE TABLE instance_days (
    instance_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    region TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    pings INTEGER NOT NULL CHECK (pings > 0),
    PRIMARY KEY (instance_id, day)
) WITHOUT ROWID;
CREATE INDEX instance_days_by_day ON instance_days (day, instance_id);
CREATE TABLE instances (
    instance_id TEXT NOT NULL PRIMARY KEY,
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    region TEXT
) WITHOUT ROWID;
CREATE INDEX instances_by_first_day ON instances (first_day);
