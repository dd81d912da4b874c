import GRDB

/// The SQLite schema, as append-only migrations with string ids: `Migrations/<id>.sql`, embedded
/// in the binary, the literal SQL each ran. Never edit one that has shipped (none calls code that
/// runs today: the core's `RollupContribution` holds that, and may change); add a new file, its
/// resource line in `Package.swift` and its line here.
enum SQLiteMigrations {
    /// Every migration, oldest first.
    static let all: [(id: String, sql: [UInt8])] = [
        ("2026-11-29-001-instance-days", PackageResources._026_11_29_001_instance_days_sql),
        ("2026-11-29-002-settings", PackageResources._026_11_29_002_settings_sql),
        ("2026-11-29-003-report-rollups", PackageResources._026_11_29_003_report_rollups_sql),
        ("2026-11-29-004-batched-rollups", PackageResources._026_11_29_004_batched_rollups_sql),
        ("2026-12-03-005-weeks-before-1970", PackageResources._026_12_03_005_weeks_before_1970_sql),
        ("2026-12-04-006-days-seen", PackageResources._026_12_04_006_days_seen_sql),
        ("2026-12-04-007-rollups-written-by-the-fold", PackageResources._026_12_04_007_rollups_written_by_the_fold_sql),
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (id, sql) in all {
            let text = String(decoding: sql, as: UTF8.self)
            migrator.registerMigration(id) { db in try db.execute(sql: text) }
        }
        return migrator
    }
}
