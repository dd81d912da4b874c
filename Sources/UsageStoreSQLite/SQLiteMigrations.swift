import Foundation
import GRDB
import UsageStore
import UsageTrackingCore

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
        ("2026-12-07-008-import-manifest", PackageResources._026_12_07_008_import_manifest_sql),
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (id, sql) in all {
            let text = String(decoding: sql, as: UTF8.self)
            migrator.registerMigration(id) { db in try db.execute(sql: text) }
        }
        return migrator
    }

    /// Refuses a database a newer release migrated (a migration this one does not know), before
    /// anything opens it for writing: read through an immutable, read-only connection, which
    /// creates no file beside it, so a refused database is left exactly as it was.
    static func refuseNewer(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path), (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 > 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        let url = URL(fileURLWithPath: path).absoluteString + "?immutable=1"
        guard let queue = try? DatabaseQueue(path: url, configuration: configuration) else { return }
        try refuseNewer(queue, path: path)
    }

    static func refuseNewer(_ database: any DatabaseReader, path: String) throws {
        let known = Set(all.map(\.id))
        let (applied, writtenBy): ([String], String?) = try database.read { db in
            guard try db.tableExists("grdb_migrations") else { return ([], nil) }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            let writtenBy = try db.tableExists("settings") ? try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'written_by'") : nil
            return (applied, writtenBy)
        }
        if let newer = applied.filter({ !known.contains($0) }).sorted().last {
            throw StoreError(
                "\(path) was written by usage-collector \(writtenBy ?? "newer than this one") (its migration \(newer) is unknown to this release, \(ReleaseVersion.current)); refusing to open it: run that release or a newer one"
            )
        }
    }
}
