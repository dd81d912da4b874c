import Foundation
import Logging
import PostgresNIO
import Testing
import UsageStore
import UsageTrackingCore

/// The PostgreSQL server the tests use, named by `USAGE_TEST_POSTGRES_URL`
/// (`postgres://USER@HOST:PORT/postgres`, a user that may CREATE DATABASE); `.ci/run` starts one.
enum PostgresTestServer {
    static let skipMessage: Comment = """
        PostgreSQL tests were skipped: USAGE_TEST_POSTGRES_URL is not set. Set it to \
        postgres://USER@HOST:PORT/postgres (a server where USER may create databases) to run them; .ci/run starts one.
        """

    static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["USAGE_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }

    /// True in CI, where a missing server fails the PostgreSQL tests instead of skipping them.
    static var inCI: Bool {
        ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false
    }

    /// Whether the PostgreSQL tests run.
    static var shouldRun: Bool { url != nil || inCI }

    /// The server's URL, or a failure that says how to give one.
    static func requireURL() throws -> PostgresDatabaseURL {
        guard let url else {
            throw StoreError("USAGE_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)")
        }
        return try PostgresDatabaseURL(url)
    }

    /// Runs one statement on the server's own database.
    static func execute(_ sql: String) async throws {
        let logger = Logger(label: "postgres-test-admin")
        do {
            let connection = try await PostgresConnection.connect(configuration: try requireURL().connectionConfiguration(), id: 1, logger: logger)
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("PostgreSQL test server: \(sql.prefix(60)): \(String(reflecting: error))")
        }
    }

    /// Drops left for after a test, which the process waits for when it exits (the conformance
    /// suite's cleanup is synchronous and must not block the Swift concurrency pool).
    static let pendingDrops = DispatchGroup()
    static let waitForDropsAtExit: Void = {
        atexit { _ = PostgresTestServer.pendingDrops.wait(timeout: .now() + 30) }
    }()
}

/// A database of its own on the test server, with a random name.
struct PostgresTestDatabase: Sendable {
    let name: String
    let url: String

    /// Names the database (it does not exist yet: see ``create()``).
    init() throws {
        let server = try PostgresTestServer.requireURL()
        name = "usage_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        url = try server.naming(database: name)
    }

    /// Creates the database.
    func create() async throws {
        try await PostgresTestServer.execute("CREATE DATABASE \(name) TEMPLATE template0")
    }

    /// A new database.
    static func create() async throws -> PostgresTestDatabase {
        let database = try PostgresTestDatabase()
        try await database.create()
        return database
    }

    /// Drops the database, ending any connection still open to it.
    func drop() async {
        try? await PostgresTestServer.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Drops the database once `task` (which creates it) is done, without waiting here.
    func dropInBackground(after task: Task<Void, any Error>) {
        PostgresTestServer.waitForDropsAtExit
        PostgresTestServer.pendingDrops.enter()
        Task.detached {
            _ = try? await task.value
            await drop()
            PostgresTestServer.pendingDrops.leave()
        }
    }

    /// Creates a database, runs `body` on it and drops it.
    static func with<T: Sendable>(_ body: (PostgresTestDatabase) async throws -> T) async throws -> T {
        let database = try await create()
        do {
            let result = try await body(database)
            await database.drop()
            return result
        } catch {
            await database.drop()
            throw error
        }
    }
}

/// A `PostgresUsageStore` whose pool runs from creation and whose database is created and migrated
/// before its first use: the conformance suite's `makeStore()` is synchronous, and must not block.
final class RunningPostgresStore: UsageStore {
    let store: PostgresUsageStore
    let pool: Task<Void, Never>
    let migrated: Task<Void, any Error>

    /// Runs the store's pool at once; creates `database` and migrates it before the first use.
    init(_ store: PostgresUsageStore, creating database: PostgresTestDatabase) {
        self.store = store
        let client = store.services
        pool = Task { await withDiscardingTaskGroup { group in for service in client { group.addTask { try? await service.run() } } } }
        migrated = Task {
            try await database.create()
            try await store.migrate()
        }
    }

    func stop() { pool.cancel() }

    func ready() async throws -> PostgresUsageStore {
        try await migrated.value
        return store
    }

    func record(_ pings: [Ping]) async throws -> [RecordOutcome] { try await ready().record(pings) }
    func merge(_ days: [DayAggregate]) async throws -> MergeSummary { try await ready().merge(days) }
    func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        try await ready().dailyActivity(from: from, to: to, window: window, region: region)
    }
    func newInstances(from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await ready().newInstances(from: from, to: to, region: region)
    }
    func churned(after: Int, from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await ready().churned(after: after, from: from, to: to, region: region)
    }
    func regions(from: UTCDay?, to: UTCDay?) async throws -> RegionsReport { try await ready().regions(from: from, to: to) }
    func retention(from: UTCDay?, to: UTCDay?) async throws -> [RetentionCohort] { try await ready().retention(from: from, to: to) }
    func instanceSummary(_ instanceID: InstanceID) async throws -> InstanceSummary? { try await ready().instanceSummary(instanceID) }
    func forget(_ instanceID: InstanceID) async throws -> Int { try await ready().forget(instanceID) }
    func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary { try await ready().purge(olderThan: days, today: today) }
    func checkReadiness() async throws { try await ready().checkReadiness() }
    func rebuildRollups() async throws { try await ready().rebuildRollups() }
}
