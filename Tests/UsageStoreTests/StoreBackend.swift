import Foundation
import GRDB
import Logging
import TestSupport
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite
import UsageStorePostgres

/// The backends the conformance suite runs against.
enum StoreBackend: String, CaseIterable {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL when `USAGE_TEST_POSTGRES_URL` names a server, and always in CI,
    /// where a missing server then fails the PostgreSQL cases. Without a server elsewhere, the
    /// `PostgresUsageStoreTests` suite says that these cases were skipped.
    static var allCases: [StoreBackend] {
        PostgresTestServer.shouldRun ? [.sqlite, .postgres] : [.sqlite]
    }

    /// A fresh, empty store in a temporary place, and a cleanup to call at the end.
    func makeStore(pseudonymizer: Pseudonymizer? = nil) throws -> (store: any UsageStore, cleanup: @Sendable () -> Void) {
        let (store, _, _, cleanup) = try makeReopenableStore(pseudonymizer: pseudonymizer)
        return (store, cleanup)
    }

    /// A fresh, empty store, a way to run one SQL statement on its database directly (as an
    /// operator's manual edit would), and a cleanup.
    func makeStoreWithSQL() throws -> (store: any UsageStore, execute: @Sendable (String) async throws -> Void, cleanup: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            let path = directory.path("usage.sqlite")
            let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
            return (store, { sql in try await DatabaseQueue(path: path).write { db in try db.execute(sql: sql) } }, { directory.remove() })
        case .postgres:
            let database = try PostgresTestDatabase()
            let store = RunningPostgresStore(try PostgresUsageStore(url: database.url, logger: Logger(label: "test")), creating: database)
            return (
                store,
                { sql in
                    _ = try await store.ready()
                    _ = try await PostgresUsageStoreTests.query(database.url, sql, as: Int.self)
                },
                {
                    store.stop()
                    database.dropInBackground(after: store.migrated)
                }
            )
        }
    }

    /// A fresh, empty store; a way to open its database again as a collector starting on it
    /// would (with or without a pseudonymisation key); the stored instance keys, as read from
    /// the database itself; and a cleanup to call at the end.
    func makeReopenableStore(pseudonymizer: Pseudonymizer? = nil) throws -> (
        store: any UsageStore, reopen: @Sendable (Pseudonymizer?) async throws -> Void,
        storedKeys: @Sendable () async throws -> [String], cleanup: @Sendable () -> Void
    ) {
        let logger = Logger(label: "test")
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            let path = directory.path("usage.sqlite")
            let store = try SQLiteUsageStore(path: path, pseudonymizer: pseudonymizer, logger: logger)
            return (
                store, { _ = try SQLiteUsageStore(path: path, pseudonymizer: $0, logger: logger) },
                {
                    try await store.foldJournal()
                    return try await DatabaseQueue(path: path).read { db in
                        try String.fetchAll(db, sql: "SELECT instance_id FROM instance_days UNION ALL SELECT instance_id FROM instances")
                    }
                },
                { directory.remove() }
            )
        case .postgres:
            // A database of its own on the test server, created before the store's first use and
            // dropped at the end (in the background: the process waits for it before exiting).
            let database = try PostgresTestDatabase()
            let store = RunningPostgresStore(try PostgresUsageStore(url: database.url, pseudonymizer: pseudonymizer, logger: logger), creating: database)
            return (
                store, { try await PostgresUsageStore(url: database.url, pseudonymizer: $0, logger: logger).migrate() },
                {
                    try await store.ready().foldJournal()
                    return try await PostgresUsageStoreTests.query(
                        database.url, "SELECT instance_id FROM instance_days UNION ALL SELECT instance_id FROM instances", as: String.self)
                },
                {
                    store.stop()
                    database.dropInBackground(after: store.migrated)
                }
            )
        }
    }
}


/// Builders for test data.
enum Sample {
    static let day0: Int64 = 1_795_910_400_000  // 2026-11-29T00:00:00Z
    static let hour: Int64 = 3_600_000
    static let dayLength: Int64 = 86_400_000

    static func id(_ n: Int) -> InstanceID {
        let hex = String(n, radix: 16)
        return try! InstanceID(validating: "i-" + String(repeating: "0", count: 17 - hex.count) + hex)
    }

    static func region(_ code: String) -> Region { try! Region(validating: code) }

    static func ping(_ n: Int, day: Int = 0, hour: Int64 = 12, region: String? = "us-west-2") -> Ping {
        Ping(instanceID: id(n), region: region.map(Self.region), receivedAtMilliseconds: day0 + Int64(day) * dayLength + hour * Self.hour)
    }

    static func day(_ offset: Int) -> UTCDay { UTCDay(containingMilliseconds: day0).advanced(by: offset) }
}

/// Every report of a store over all its days, as text: two stores with the same rows must print
/// the same, however their rollups were kept.
func allReports(_ store: some UsageStore) async throws -> String {
    var text = ""
    for window in [1, 7, 28] {
        for region in [nil, "us-west-2", "eu-west-1", "cn-north-1"] as [String?] {
            text += "\(try await store.dailyActivity(from: nil, to: nil, window: window, region: region.map(Sample.region)))\n"
        }
    }
    text += "\(try await store.churned(after: 2, from: nil, to: nil, region: nil))\n"
    text += "\(try await store.regions(from: nil, to: nil))\n\(try await store.retention(from: nil, to: nil))\n"
    text += "\(try await store.daysSeen(from: nil, to: nil))"
    return text
}
