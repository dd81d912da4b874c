import Foundation
import GRDB
import Logging
import TestSupport
import Testing
import UsageStore
import UsageTrackingCore

@Suite struct SQLiteUsageStoreTests {
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

    static let expectedIndexes = [
        "CREATE INDEX instance_days_by_day ON instance_days (day, instance_id)",
        "CREATE INDEX instances_by_first_day ON instances (first_day)",
        "CREATE INDEX instances_by_last_day ON instances (last_day)",
    ]

    @Test func aBulkLoadThatFailsPartWayKeepsItsBatchesWithIndexesAndReportsWhole() async throws {
        struct Interrupted: Error {}
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("bulk.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let reference = try SQLiteUsageStore(path: directory.path("reference.sqlite"), logger: Logger(label: "test"))
        await #expect(throws: Interrupted.self) {
            try await store.bulkMerge { merge in
                _ = try await merge(Self.bulkBatch)
                throw Interrupted()
            }
        }
        _ = try await reference.merge(Self.bulkBatch)
        #expect(try await allReports(store) == allReports(reference))
        #expect(try Self.indexes(path) == Self.expectedIndexes)
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
        let (merged, mergedContinuation) = AsyncStream.makeStream(of: Void.self)
        // The load commits a batch and then never goes on, as if its process had been killed.
        let loading = Task {
            try await crashed.bulkMerge { merge in
                _ = try await merge(Self.bulkBatch)
                mergedContinuation.yield()
                try await Task.sleep(for: .seconds(3600))
            }
        }
        defer { loading.cancel() }
        for await _ in merged { break }
        #expect(try Self.indexes(path).isEmpty)
        let reopened = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
        let reference = try SQLiteUsageStore(path: directory.path("reference.sqlite"), logger: Logger(label: "test"))
        _ = try await reference.merge(Self.bulkBatch)
        #expect(try await allReports(reopened) == allReports(reference))
        #expect(try Self.indexes(path) == Self.expectedIndexes)
    }

    @Test func anUnopenablePathIsAClearError() {
        #expect {
            try SQLiteUsageStore(path: "/nonexistent-folder/usage.sqlite", logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("/nonexistent-folder/usage.sqlite")
        }
    }
}
