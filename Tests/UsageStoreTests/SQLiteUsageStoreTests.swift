import Foundation
import GRDB
import Logging
import TestSupport
import Testing
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

@Suite struct SQLiteUsageStoreTests {
    /// The database files hold instance IDs: the collector's user alone reads them (they were 0644).
    @Test func theFilesAreTheCollectorsAlone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        _ = try await store.record(Sample.ping(1))
        try await store.foldJournal()
        for suffix in ["", "-wal", "-shm", "-pings", "-pings-wal", "-pings-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: path + suffix)[.posixPermissions] as? Int
            #expect(mode.map { $0 & 0o777 } == 0o600, "\(suffix.isEmpty ? "the database" : suffix) is \(String(mode ?? 0, radix: 8))")
        }
    }

    /// A database whose rollups were kept under older rules (before codes outside the catalog
    /// counted under `other`) is rebuilt from its rows when it opens, once.
    @Test func rollupsKeptUnderOlderRulesAreRebuiltAtOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        do {
            let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
            _ = try await store.record([Sample.ping(1, region: "us-fake-1"), Sample.ping(2, region: "us-west-2")])
            try await store.foldJournal()
        }
        // What the previous release left: the made-up code as a scope of its own, no rules mark.
        try await DatabaseQueue(path: path).write { db in
            for table in ["daily_rollup", "window_delta"] {
                try db.execute(sql: "UPDATE \(table) SET scope = 'us-fake-1' WHERE scope = 'other'")
            }
            try db.execute(sql: "DELETE FROM settings WHERE name = 'rollup_rules'")
        }
        let reopened = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.regions(from: nil, to: nil).regions.map(\.region) == ["other", "us-west-2"])
        #expect(try await DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'rollup_rules'") } == "2")
    }

    /// A driver on databases the caller opened (GRDB's `AppDatabase` way): the store works on them,
    /// and refuses a database opened without the driver's configuration.
    @Test func aStoreRunsOnInjectedDatabases() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("injected.sqlite")
        let main = try DatabasePool(path: path, configuration: SQLiteDriver.configuration())
        let journal = try DatabasePool(path: path + "-pings", configuration: SQLiteDriver.configuration())
        let driver = try SQLiteDriver(main: main, journal: journal, path: path, logger: Logger(label: "test"))
        let store = RowStore(driver: driver, pseudonymizer: nil, foldInterval: .milliseconds(250), logger: Logger(label: "test"))
        _ = try await store.record([Sample.ping(1), Sample.ping(2), Sample.ping(1, hour: 13)])
        #expect(try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil) == [DailyActivity(day: Sample.day(0), active: 2, new: 2, pings: 3)])
        #expect(try await main.read { db in try Int.fetchOne(db, sql: "SELECT sum(pings) FROM instance_days") } == 3)
        #expect(throws: StoreError.self) {
            try SQLiteDriver(main: try DatabaseQueue(path: directory.path("plain.sqlite")), journal: journal, path: directory.path("plain.sqlite"), logger: Logger(label: "test"))
        }
    }

    @Test func committedPingsSurviveReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        do {
            let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
            _ = try await store.record([Sample.ping(1), Sample.ping(2)])
        }
        let reopened = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let days = try await reopened.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days == [DailyActivity(day: Sample.day(0), active: 2, new: 2, pings: 2)])
    }

    /// Days two thousand years apart (imports accept any year from 0 to 9999): the rollup sums
    /// cannot keep both in one array, and the reports are exact all the same, kept live and rebuilt.
    @Test func daysCenturiesApartAreCountedExactly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteUsageStore(path: directory.path("usage.sqlite"), logger: Logger(label: "test"))
        let early = try UTCDay(iso8601: "0001-03-01"), late = try UTCDay(iso8601: "2024-03-01")
        let ids = try ["i-0123abcd", "i-0123456789abcdef0"].map { try InstanceID(validating: $0) }
        let region = try Region(validating: "us-west-2")
        func ping(_ id: InstanceID, _ day: UTCDay) -> Ping {
            Ping(instanceID: id, region: region, receivedAtMilliseconds: Int64(day.daysSinceEpoch) * 86_400_000 + 3_600_000)
        }
        _ = try await store.merge([DayAggregate(ping(ids[0], early)), DayAggregate(ping(ids[0], late)), DayAggregate(ping(ids[1], late))])
        _ = try await store.record([ping(ids[1], late.advanced(by: 1))])
        func report() async throws -> [[DailyActivity]] {
            [
                try await store.dailyActivity(from: early, to: early.advanced(by: 1), window: 1, region: nil),
                try await store.dailyActivity(from: late, to: late.advanced(by: 2), window: 1, region: region),
                try await store.dailyActivity(from: late, to: late.advanced(by: 2), window: 7, region: nil),
            ]
        }
        let expected = [
            [DailyActivity(day: early, active: 1, new: 1, pings: 1), DailyActivity(day: early.advanced(by: 1), active: 0, new: 0, pings: 0)],
            [DailyActivity(day: late, active: 2, new: 1, pings: 2), DailyActivity(day: late.advanced(by: 1), active: 1, new: 0, pings: 1),
             DailyActivity(day: late.advanced(by: 2), active: 0, new: 0, pings: 0)],
            [DailyActivity(day: late, active: 2, new: 1, pings: 2), DailyActivity(day: late.advanced(by: 1), active: 2, new: 0, pings: 1),
             DailyActivity(day: late.advanced(by: 2), active: 2, new: 0, pings: 0)],
        ]
        #expect(try await report() == expected)
        try await store.rebuildRollups()
        #expect(try await report() == expected)
    }

    @Test func theDatabaseIsInWALModeWithFullSynchronousAndLargeCheckpoints() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        _ = try await store.record(Sample.ping(1))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        let settings = try await store.pragmas()
        #expect(settings.journalMode == "wal")
        #expect(settings.synchronous == 2)  // FULL
        #expect(settings.walAutocheckpoint == 8192)
        #expect(settings.journalSizeLimit == 64 << 20)
    }

    /// (instance, day) rows of 7 instances over 5 days, some with no region.
    static let bulkBatch = (0..<30).map { n in
        DayAggregate(Sample.ping(n % 7, day: n % 5, region: n % 3 == 0 ? nil : n % 2 == 0 ? "us-west-2" : "eu-west-1"))
    }

    /// The secondary indexes of a database file (a bulk load drops and rebuilds them).
    static func indexes(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        }
    }

    /// A store in `directory` (`reference.sqlite`) into which `bulkBatch` was merged the plain way:
    /// what a bulk load of it must come to.
    static func plainMerge(in directory: TemporaryDirectory) async throws -> (store: SQLiteUsageStore, path: String) {
        let path = directory.path("reference.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        _ = try await store.merge(bulkBatch)
        return (store, path)
    }

    /// Starts a bulk load of `bulkBatch` into `store` that, once the batch is committed, waits
    /// until cancelled (as a killed process never goes on); returns when the batch is committed.
    static func startStalledLoad(_ store: SQLiteUsageStore) async throws -> Task<Void, any Error> {
        let (merged, mergedContinuation) = AsyncStream.makeStream(of: Void.self)
        let loading = Task {
            defer { mergedContinuation.finish() }
            try await store.bulkMerge { merge in
                _ = try await merge(bulkBatch)
                mergedContinuation.yield()
                try await Task.sleep(for: .seconds(3600))
            }
        }
        var batchesMerged = 0
        for await _ in merged {
            batchesMerged += 1
            break
        }
        try #require(batchesMerged == 1, "the load failed before its first batch was merged")
        return loading
    }

    @Test func aBulkLoadThatFailsPartWayKeepsItsBatchesWithIndexesAndReportsWhole() async throws {
        struct Interrupted: Error {}
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("bulk.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        await #expect(throws: Interrupted.self) {
            try await store.bulkMerge { merge in
                _ = try await merge(Self.bulkBatch)
                throw Interrupted()
            }
        }
        let (reference, referencePath) = try await Self.plainMerge(in: directory)
        #expect(try await allReports(store) == allReports(reference))
        #expect(try Self.indexes(path) == Self.indexes(referencePath))
        // The triggers are back: an erasure after the load keeps the rollups right.
        #expect(try await store.forget(Sample.id(3)) > 0)
        _ = try await reference.forget(Sample.id(3))
        #expect(try await allReports(store) == allReports(reference))
    }

    @Test func aBulkLoadCutOffByACrashIsFinishedWhenTheStoreIsOpenedAgain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("bulk.sqlite")
        let crashed = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        // The load commits a batch and then never goes on, as if its process had been killed.
        let loading = try await Self.startStalledLoad(crashed)
        #expect(try Self.indexes(path).isEmpty)
        let reopened = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let (reference, referencePath) = try await Self.plainMerge(in: directory)
        #expect(try await allReports(reopened) == allReports(reference))
        #expect(try Self.indexes(path) == Self.indexes(referencePath))
        // Cancelled at last, the stalled load finishes its bulk load too; the reports stay right.
        loading.cancel()
        await #expect(throws: CancellationError.self) { try await loading.value }
        #expect(try await allReports(crashed) == allReports(reference))
    }

    @Test func aCancelledBulkLoadKeepsItsBatchesWithIndexesAndReportsWhole() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("bulk.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let loading = try await Self.startStalledLoad(store)
        loading.cancel()
        await #expect(throws: CancellationError.self) { try await loading.value }
        let (reference, referencePath) = try await Self.plainMerge(in: directory)
        #expect(try await allReports(store) == allReports(reference))
        #expect(try Self.indexes(path) == Self.indexes(referencePath))
    }

    @Test func aStoreOpenedWhileABulkLoadRunsDoesNotLeaveItsLaterBatchesOutOfTheReports() async throws {
        // Another process opens the file mid-load, takes the load for a crashed one and finishes
        // it; the load goes on with a second batch and is then killed: the next open must still
        // count that batch.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("bulk.sqlite")
        let loader = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let first = Array(Self.bulkBatch.prefix(15))
        let second = Array(Self.bulkBatch.dropFirst(15))
        let (steps, step) = AsyncStream.makeStream(of: Int.self)
        let (goOn, goOnContinuation) = AsyncStream.makeStream(of: Void.self)
        let loading = Task {
            defer { step.finish() }
            try await loader.bulkMerge { merge in
                _ = try await merge(first)
                step.yield(1)
                for await _ in goOn { break }
                _ = try await merge(second)
                step.yield(2)
                try await Task.sleep(for: .seconds(3600))
            }
        }
        var progress = steps.makeAsyncIterator()
        try #require(await progress.next() == 1)
        _ = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))  // finishes the load "left" by the loader
        goOnContinuation.yield()
        try #require(await progress.next() == 2)
        // The loader is killed here: it never finishes. A later start repairs what it left.
        let reopened = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let reference = try SQLiteUsageStore(path: directory.path("reference.sqlite"), logger: Logger(label: "test"))
        // The same batches (an instance's latest region depends on the order its days arrive in).
        _ = try await reference.merge(first)
        _ = try await reference.merge(second)
        #expect(try await allReports(reopened) == allReports(reference))
        loading.cancel()
        _ = try? await loading.value
    }

    @Test func anUnopenablePathIsAClearError() {
        #expect {
            try SQLiteUsageStore(path: "/nonexistent-folder/usage.sqlite", logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("/nonexistent-folder/usage.sqlite")
        }
    }
}
