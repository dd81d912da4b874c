import Foundation
import Logging
import PostgresNIO
import Testing
import UsageStore
import UsageStorePostgres

/// The PostgreSQL server the tests use, named by `USAGE_TEST_POSTGRES_URL`
/// (`postgres://USER@HOST:PORT/postgres`, a user that may CREATE DATABASE); `.ci/run` starts one.
public enum PostgresTestServer {
    public static let skipMessage: Comment = """
        PostgreSQL tests were skipped: USAGE_TEST_POSTGRES_URL is not set. Set it to \
        postgres://USER@HOST:PORT/postgres (a server where USER may create databases) to run them; .ci/run starts one.
        """

    public static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["USAGE_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }

    /// True in CI, where a missing server fails the PostgreSQL tests instead of skipping them.
    public static var inCI: Bool {
        ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false
    }

    /// Whether the PostgreSQL tests run.
    public static var shouldRun: Bool { url != nil || inCI }

    /// The server's URL, or a failure that says how to give one.
    public static func requireURL() throws -> PostgresDatabaseURL {
        guard let url else {
            throw StoreError("USAGE_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)")
        }
        return try PostgresDatabaseURL(url)
    }

    /// Runs one statement on the server's own database.
    public static func execute(_ sql: String) async throws {
        try await query(sql, on: try requireURL())
    }

    /// The rows of one statement run on its own connection to `url`.
    @discardableResult
    public static func query(_ sql: String, on url: PostgresDatabaseURL) async throws -> [PostgresRow] {
        let logger = Logger(label: "postgres-test-admin")
        do {
            let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 1, logger: logger)
            do {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
                try await connection.close()
                return rows
            } catch {
                try? await connection.close()
                throw error
            }
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
public struct PostgresTestDatabase: Sendable {
    public let name: String
    public let url: String

    /// Names the database (it does not exist yet: see ``create()``).
    public init() throws {
        let server = try PostgresTestServer.requireURL()
        name = "usage_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        url = try server.naming(database: name)
    }

    /// Creates the database.
    public func create() async throws {
        try await PostgresTestServer.execute("CREATE DATABASE \(name) TEMPLATE template0")
    }

    /// A new database.
    public static func create() async throws -> PostgresTestDatabase {
        let database = try PostgresTestDatabase()
        try await database.create()
        return database
    }

    /// Drops the database, ending any connection still open to it.
    public func drop() async {
        try? await PostgresTestServer.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Drops the database once `task` (which creates it) is done, without waiting here.
    public func dropInBackground(after task: Task<Void, any Error>) {
        PostgresTestServer.waitForDropsAtExit
        PostgresTestServer.pendingDrops.enter()
        Task.detached {
            _ = try? await task.value
            await drop()
            PostgresTestServer.pendingDrops.leave()
        }
    }

    /// The rows of one statement run on this database.
    @discardableResult
    public func query(_ sql: String) async throws -> [PostgresRow] {
        try await PostgresTestServer.query(sql, on: try PostgresDatabaseURL(url))
    }

    /// Creates a database, runs `body` on it and drops it.
    public static func with<T: Sendable>(_ body: (PostgresTestDatabase) async throws -> T) async throws -> T {
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
