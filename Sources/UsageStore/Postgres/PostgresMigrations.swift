/// The PostgreSQL schema, as append-only migrations with string ids: never edit one that has
/// shipped, add a new one (a later migration may `CREATE OR REPLACE` a function).
///
/// Each migration is a list of single statements (the extended query protocol takes one at a
/// time), applied in one transaction together with its row in `schema_migrations`.
///
/// The tables are SQLite's, with the same meaning (see `SQLiteRollups` for the rollups' math).
/// What differs is how the rollups stay exact: instead of row triggers, every write is one
/// PL/pgSQL function that
/// 1. locks the instances it touches, in instance-ID order (inserting new ones), so that two
///    collectors writing the same instance wait for each other and never deadlock;
/// 2. computes the rollup contribution of the rows that can change (per instance, the changed days
///    and, for the 7- and 28-day windows, their nearest rows within 28 days; whole weeks for
///    retention; every row when the instance's first week may move);
/// 3. changes the rows with the results SQLite's ping-by-ping upserts give;
/// 4. computes the same contribution again and adds the difference to the rollups in key order.
/// A rollup is a sum over rows, so after − before is exact however many rows of an instance one
/// write changes, and concurrent writers only ever add to the rollup rows.
enum PostgresMigrations {
    struct Migration: Sendable {
        let id: String
        let statements: [String]
    }

    /// Every migration, oldest first.
    static let all: [Migration] = [
        Migration(id: "2026-11-30-001-instance-days", statements: [
            // Days are counted since 1970-01-01 UTC; times are milliseconds since the epoch. IDs
            // and regions are ASCII: the C collation compares bytes.
            """
            CREATE TABLE instance_days (
                instance_id text COLLATE "C" NOT NULL,
                day integer NOT NULL,
                region text COLLATE "C",
                first_seen_ms bigint NOT NULL,
                last_seen_ms bigint NOT NULL,
                pings integer NOT NULL CHECK (pings > 0),
                PRIMARY KEY (instance_id, day)
            )
            """,
            """
            CREATE TABLE instances (
                instance_id text COLLATE "C" NOT NULL PRIMARY KEY,
                first_day integer NOT NULL,
                last_day integer NOT NULL,
                region text COLLATE "C"
            )
            """,
            "CREATE INDEX instances_by_first_day ON instances (first_day)",
            "CREATE INDEX instances_by_last_day ON instances (last_day)",
        ]),
        Migration(id: "2026-11-30-002-settings", statements: [
            // Facts about the database itself, such as the pseudonymisation key's fingerprint.
            "CREATE TABLE settings (name text NOT NULL PRIMARY KEY, value text NOT NULL)",
        ]),
        Migration(id: "2026-11-30-003-report-rollups", statements: PostgresRollups.schema),
        Migration(id: "2026-11-30-004-write-functions", statements: PostgresRollups.writeFunctions),
        Migration(id: "2026-12-03-005-ping-journal", statements: PostgresJournal.migration005),
        Migration(id: "2026-12-04-006-days-seen", statements: PostgresDaysSeen.migration006),
    ]

    /// The key of the session advisory lock held while migrating ("usage-tracking migrations").
    static let advisoryLockKey: Int64 = 0x7573_6167_652D_6D67
}
