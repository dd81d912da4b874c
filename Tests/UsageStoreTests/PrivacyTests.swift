import Foundation
import Logging
import TestSupport
import Testing
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// What only the SQLite store shows: no byte of a raw or erased ID in its files. (Pseudonymised
/// reports, refused keys and erasure run on both stores in `UsageStoreConformanceTests`.)
@Suite struct PrivacyTests {
    static let logger = Logger(label: "test")

    static func pseudonymizer(_ key: String = "a-secret-key-of-32-bytes-or-so!!") -> Pseudonymizer {
        try! Pseudonymizer(key: Data(key.utf8))
    }

    /// Every byte of the database and the files beside it (logs, shared memory, ping journal).
    static func rawBytes(_ path: String) -> Data {
        DatabaseFiles.bytes(of: path)
    }

    static let pings: [Ping] = [
        Sample.ping(1, day: 0), Sample.ping(1, day: 0, hour: 13), Sample.ping(2, day: 0),
        Sample.ping(1, day: 1), Sample.ping(3, day: 1, region: "eu-west-1"), Sample.ping(2, day: 8),
        Sample.ping(4, day: 9, region: "cn-north-1"),
    ]

    /// The raw IDs are in no byte of the files either (the conformance suite reads the stored keys).
    @Test func pseudonymisedIDsLeaveNoRawIDInTheFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hashedPath = directory.path("hashed.sqlite")
        let hashed = try SQLiteUsageStore(path: hashedPath, pseudonymizer: Self.pseudonymizer(), logger: Self.logger)
        _ = try await hashed.record(Self.pings)
        try await hashed.checkReadiness()
        let bytes = Self.rawBytes(hashedPath)
        for n in 1...4 {
            #expect(bytes.range(of: Data(Sample.id(n).rawValue.utf8)) == nil, "instance \(n) stored in clear")
        }
        #expect(bytes.range(of: Data(Self.pseudonymizer().pseudonym(for: Sample.id(1)).utf8)) != nil)
    }

    @Test func aKeyTooShortIsRefused() {
        #expect(throws: StoreError.self) { try Pseudonymizer(key: Data("short".utf8)) }
    }

    @Test(arguments: [false, true])
    func forgetRemovesEveryRowOfOneInstanceAndLeavesNoTraceInTheFiles(_ pseudonymised: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let store = try SQLiteUsageStore(path: path, pseudonymizer: pseudonymised ? Self.pseudonymizer() : nil, logger: Self.logger)
        _ = try await store.record(Self.pings)
        let before = try await store.instanceRecord(Sample.id(2))
        let otherBefore = try await store.instanceRecord(Sample.id(1))
        #expect(before != nil)
        let stored = pseudonymised ? Self.pseudonymizer().pseudonym(for: Sample.id(2)) : Sample.id(2).rawValue
        #expect(Self.rawBytes(path).range(of: Data(stored.utf8)) != nil)

        #expect(try await store.forget(Sample.id(2)) == 3)  // two day rows and the instance row
        #expect(try await store.instanceRecord(Sample.id(2)) == nil)
        #expect(try await store.forget(Sample.id(2)) == 0)
        // Other instances are untouched.
        #expect(try await store.instanceRecord(Sample.id(1)) == otherBefore)
        // Not in the database pages, the free pages, nor the write-ahead log.
        #expect(Self.rawBytes(path).range(of: Data(stored.utf8)) == nil)
        #expect(try await store.dailyActivity(from: Sample.day(0), to: Sample.day(0), window: 1, region: nil).first?.active == 1)
    }
}
