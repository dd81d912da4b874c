import UsageStore
import Logging
import PostgresNIO

/// The PostgreSQL schema, as append-only migrations with string ids: never edit one that has
/// shipped, add a new one (a later migration may `CREATE OR REPLACE` a function).
///
/// Each migration is a list of single statements (the extended query protocol takes one at a
/// time), applied in one transaction together with its row in `schema_migrations`.
///
/// The tables are SQLite's, with the same meaning and the same numbers: since migration 007, the
/// rollups are written by the store's folds (``PostgresRows``) with the core's arithmetic
/// (`InstanceFold`, `RollupContribution`), as SQLite's are. Until then (migrations 003 to 006,
/// kept as they shipped) every write was a PL/pgSQL function computing the same contribution in
/// SQL; 007 drops them.
///
/// Concurrent collectors: journal appends take per-(instance, day) advisory locks only; every
/// writer of rows and rollups (fold, merge, erasure, purge, rebuild) holds one transaction
/// advisory lock (``PostgresRows/rollupLockKey``), so each reads the rows the previous one wrote.
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
        Migration(id: "2026-11-30-003-report-rollups", statements: PostgresFrozenMigrations.migration003),
        Migration(id: "2026-11-30-004-write-functions", statements: PostgresFrozenMigrations.migration004),
        Migration(id: "2026-12-03-005-ping-journal", statements: PostgresFrozenMigrations.migration005),
        Migration(id: "2026-12-04-006-days-seen", statements: PostgresFrozenMigrations.migration006),
        Migration(id: "2026-12-04-007-rollups-written-by-the-fold", statements: migration007),
    ]

    /// 007: `daily_rollup` gains `new` (instances first seen that day, by latest region), as
    /// SQLite's has, filled from `instances`; the PL/pgSQL write functions go, since the folds
    /// write rows and rollups themselves. An older collector still running beside a migrated
    /// database keeps appending pings (`usage_journal_append` stays) but cannot fold them: its
    /// folds fail until it is replaced, and the new collectors fold its pings.
    static let migration007: [String] = [
        "ALTER TABLE daily_rollup ADD COLUMN new integer NOT NULL DEFAULT 0",
        """
        INSERT INTO daily_rollup AS t (scope, day, active, pings, new)
        SELECT '*', first_day, 0, 0, count(*) FROM instances GROUP BY first_day
        ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new
        """,
        """
        INSERT INTO daily_rollup AS t (scope, day, active, pings, new)
        SELECT coalesce(region, 'unknown'), first_day, 0, 0, count(*) FROM instances GROUP BY 1, 2
        ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new
        """,
        "DROP FUNCTION IF EXISTS usage_fold_journal",
        "DROP FUNCTION IF EXISTS usage_record",
        "DROP FUNCTION IF EXISTS usage_merge",
        "DROP FUNCTION IF EXISTS usage_forget",
        "DROP FUNCTION IF EXISTS usage_purge",
        "DROP FUNCTION IF EXISTS usage_changed_ranges",
        "DROP FUNCTION IF EXISTS usage_lock_instances",
        "DROP FUNCTION IF EXISTS usage_rebuild_rollups",
        "DROP FUNCTION IF EXISTS usage_apply_rollups",
        "DROP FUNCTION IF EXISTS usage_contribution",
        "DROP VIEW IF EXISTS usage_ordered_days",
        "DROP VIEW IF EXISTS usage_days_seen_runs",
        "DROP TYPE IF EXISTS usage_rollup_delta",
        "DROP FUNCTION IF EXISTS usage_monday",
    ]

    /// The key of the session advisory lock held while migrating ("usage-tracking migrations").
    static let advisoryLockKey: Int64 = 0x7573_6167_652D_6D67

    /// Takes the migration lock (held until the session unlocks it) and applies the migrations
    /// the database lacks, each in its own transaction with its row in `schema_migrations`.
    static func migrate(on connection: PostgresConnection, logger queryLogger: Logger, log logger: Logger) async throws {
        let session = PostgresRows(connection: connection, logger: queryLogger)
        try await session.execute("SELECT pg_advisory_lock(\(advisoryLockKey))")
        // Created only when missing: a role without CREATE rights can open a migrated database.
        if try await session.rows(String?.self, "SELECT to_regclass('schema_migrations')::text").first ?? nil == nil {
            try await session.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id text NOT NULL PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
        }
        let ids: [String] = try await session.rows(String.self, "SELECT id FROM schema_migrations")
        let applied = Set(ids)
        let known = Set(all.map(\.id))
        if let newer = applied.subtracting(known).sorted().last {
            logger.notice("the database has migrations this build does not know; a newer collector migrated it", metadata: ["migration.id": "\(newer)"])
        }
        for migration in all where !applied.contains(migration.id) {
            try await PostgresRows.transaction(on: connection, logger: queryLogger) { rows in
                for statement in migration.statements {
                    try await rows.execute(PostgresQuery(unsafeSQL: statement))
                }
                try await rows.execute("INSERT INTO schema_migrations (id) VALUES (\(migration.id))")
            }
            logger.info("applied database migration", metadata: ["migration.id": "\(migration.id)"])
        }
    }
}
