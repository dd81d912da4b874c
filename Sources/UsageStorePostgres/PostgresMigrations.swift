import UsageStore
import Logging
import PostgresNIO
import UsageTrackingCore

/// The PostgreSQL schema, as append-only migrations with string ids: never edit one that has
/// shipped, add a new one (a later migration may `CREATE OR REPLACE` a function).
///
/// Each migration is a file, `Migrations/<id>.sql`, whose statements are sent one at a time (the
/// extended query protocol takes one at a time), in one transaction together with its row in
/// `schema_migrations`.
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
        /// The file's statements, one at a time (``SQLStatements``).
        let statements: [String]

        init(_ id: String, _ file: [UInt8]) {
            self.id = id
            self.statements = SQLStatements.split(String(decoding: file, as: UTF8.self))
        }
    }

    /// Every migration, oldest first: `Migrations/<id>.sql`, embedded in the binary.
    static let all: [Migration] = [
        Migration("2026-11-30-001-instance-days", PackageResources._026_11_30_001_instance_days_sql),
        Migration("2026-11-30-002-settings", PackageResources._026_11_30_002_settings_sql),
        Migration("2026-11-30-003-report-rollups", PackageResources._026_11_30_003_report_rollups_sql),
        Migration("2026-11-30-004-write-functions", PackageResources._026_11_30_004_write_functions_sql),
        Migration("2026-12-03-005-ping-journal", PackageResources._026_12_03_005_ping_journal_sql),
        Migration("2026-12-04-006-days-seen", PackageResources._026_12_04_006_days_seen_sql),
        Migration("2026-12-04-007-rollups-written-by-the-fold", PackageResources._026_12_04_007_rollups_written_by_the_fold_sql),
        Migration("2026-12-07-008-import-manifest", PackageResources._026_12_07_008_import_manifest_sql),
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
            let writtenBy = try await session.rows(String.self, "SELECT value FROM settings WHERE name = 'written_by'").first
            throw StoreError(
                "the PostgreSQL database was migrated by usage-collector \(writtenBy ?? "newer than this one") (its migration \(newer) is unknown to this release, \(ReleaseVersion.current)); refusing to use it: run that release or a newer one"
            )
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
