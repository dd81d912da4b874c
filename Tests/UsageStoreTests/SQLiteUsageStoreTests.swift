import Foundation
import Logging
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

    @Test func anUnopenablePathIsAClearError() {
        #expect {
            try SQLiteUsageStore(path: "/nonexistent-folder/usage.sqlite", logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("/nonexistent-folder/usage.sqlite")
        }
    }
}
