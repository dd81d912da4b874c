import Foundation
import GRDB
import Logging
import TestSupport
import Testing
import UsageStore
import UsageTrackingCore
@testable import UsageStoreSQLite

/// A database written by an earlier version opens with this one and reports the same numbers.
@Suite struct SQLiteMigrationTests {
    /// A database a newer release migrated is refused, naming both releases, and left exactly as
    /// it was: no byte of it changes and no file appears beside it.
    @Test func aNewerDatabaseIsRefusedAndLeftUntouched() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        do {
            let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
            _ = try await store.record(Sample.ping(1))
            try await store.foldJournal()
        }
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('2099-01-01-099-from-the-future')")
            try db.execute(sql: "UPDATE settings SET value = '9.9.9' WHERE name = 'written_by'")
        }
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.url.path) {
                files[name] = try Data(contentsOf: directory.url.appendingPathComponent(name))
            }
            return files
        }
        let before = try snapshot()
        #expect { _ = try SQLiteUsageStore(path: path, logger: Logger(label: "test")) } throws: { error in
            "\(error)" == "\(path) was written by usage-collector 9.9.9 (its migration 2099-01-01-099-from-the-future is unknown to this release, \(ReleaseVersion.current)); refusing to open it: run that release or a newer one"
        }
        #expect(try snapshot() == before)
        let command = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["stats", "--database", path])
        #expect(command.exitCode == 1)
        #expect(command.standardError.contains("was written by usage-collector 9.9.9"))
        #expect(try snapshot() == before)
    }

    /// Writes pings the way the 003 schema's version did: an instance upsert and a day upsert
    /// per ping, the rollups kept by that schema's per-row triggers.
    static func writeLikeVersion003(_ db: Database, _ pings: [(instance: Int, day: Int, region: String?)]) throws {
        for ping in pings {
            let id = Sample.id(ping.instance).rawValue
            let day = Sample.day(ping.day).daysSinceEpoch
            try db.execute(sql: """
                INSERT INTO instances (instance_id, first_day, last_day, region) VALUES (?, ?, ?, ?)
                ON CONFLICT (instance_id) DO UPDATE SET first_day = min(first_day, excluded.first_day),
                    last_day = max(last_day, excluded.last_day),
                    region = CASE WHEN excluded.last_day >= last_day THEN coalesce(excluded.region, region)
                                  ELSE coalesce(region, excluded.region) END
                """, arguments: [id, day, day, ping.region])
            try db.execute(sql: """
                INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings) VALUES (?, ?, ?, 0, 0, 1)
                ON CONFLICT (instance_id, day) DO UPDATE SET pings = pings + 1, region = coalesce(region, excluded.region)
                """, arguments: [id, day, ping.region])
        }
    }

    /// Rows written before the rollups existed (version 002) get them from migration 003's
    /// backfill and from every migration after it: the reports equal those rebuilt from the rows,
    /// with pings that name no region among them.
    @Test func aVersion002DatabaseGetsItsRollupsFromTheMigrations() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        var pings: [(instance: Int, day: Int, region: String?)] = []
        let regions: [String?] = ["us-west-2", "eu-west-1", nil]
        for n in 0..<400 {
            let instance = (n * 7) % 23
            pings.append((instance, (n * 13) % 97, regions[(n / 3 + instance) % 3]))
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteMigrations.migrator.migrate(queue, upTo: "2026-11-29-002-settings")
            try await queue.write { [pings] db in
                try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('pseudonymization', 'none')")
                try Self.writeLikeVersion003(db, pings)
            }
            try queue.close()
        }
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let migrated = try await allReports(store)
        #expect(migrated.contains("active: 3"), "the rollups hold the rows: \(migrated.prefix(300))")
        try await store.rebuildRollups()
        #expect(try await allReports(store) == migrated)
    }

    @Test func aVersion003DatabaseMigratesWithItsReportsIntact() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let before: [(instance: Int, day: Int, region: String?)] = [
            (1, 0, "us-west-2"), (1, 3, "us-west-2"), (1, 10, "eu-west-1"),
            (2, 2, nil), (2, 2, "eu-west-1"), (2, 9, "eu-west-1"),
            (3, 5, nil), (3, 6, "cn-north-1"), (1, 3, "us-west-2"),
        ]
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteMigrations.migrator.migrate(queue, upTo: "2026-11-29-003-report-rollups")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('pseudonymization', 'none')")
                try Self.writeLikeVersion003(db, before)
            }
            try queue.close()
        }
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        // Then new pings through this version: a new instance, an old one on a new day.
        _ = try await store.record([Sample.ping(4, day: 10, region: "us-west-2"), Sample.ping(3, day: 10, region: "cn-north-1")])

        let regions = try await store.regions(from: Sample.day(0), to: Sample.day(10))
        let byRegion = Dictionary(uniqueKeysWithValues: regions.regions.map { ($0.region, $0) })
        // New per latest region: 1 → eu-west-1, 2 → eu-west-1, 3 → cn-north-1, 4 → us-west-2.
        #expect(byRegion["eu-west-1"]?.new == 2)
        #expect(byRegion["cn-north-1"]?.new == 1)
        #expect(byRegion["us-west-2"]?.new == 1)
        #expect(byRegion["us-west-2"]?.pings == 4)
        #expect(byRegion["unknown"]?.pings == 1)
        let week = try await store.dailyActivity(from: Sample.day(10), to: Sample.day(10), window: 7, region: nil)
        #expect(week.map(\.active) == [4])
        let new = try await store.newInstances(from: Sample.day(0), to: Sample.day(10), region: nil)
        #expect(new.map(\.count) == [1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1])

        // Every report equals the same report after rebuilding the rollups from the rows.
        let kept = try await allReports(store)
        try await store.rebuildRollups()
        #expect(try await allReports(store) == kept)
    }
}
