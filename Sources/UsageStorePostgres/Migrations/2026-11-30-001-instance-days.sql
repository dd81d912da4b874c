-- Days are counted since 1970-01-01 UTC; times are milliseconds since the epoch. IDs
-- and regions are ASCII: the C collation compares bytes.
CREATE TABLE instance_days (
    instance_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    region text COLLATE "C",
    first_seen_ms bigint NOT NULL,
    last_seen_ms bigint NOT NULL,
    pings integer NOT NULL CHECK (pings > 0),
    PRIMARY KEY (instance_id, day)
);

CREATE TABLE instances (
    instance_id text COLLATE "C" NOT NULL PRIMARY KEY,
    first_day integer NOT NULL,
    last_day integer NOT NULL,
    region text COLLATE "C"
);

CREATE INDEX instances_by_first_day ON instances (first_day);

CREATE INDEX instances_by_last_day ON instances (last_day);
