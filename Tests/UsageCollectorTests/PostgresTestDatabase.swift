import Foundation
import Logging
import PostgresNIO
import Testing
import UsageStore

/// A database of its own, with a random name, on the server that `USAGE_TEST_POSTGRES_URL` names
/// (`.ci/run` starts one). Without that variable, outside CI, the PostgreSQL tests are skipped
/// and say so; in CI they fail.
struct PostgresTestDatabase: Sendable {
    static let skipMessage: Comment = """
        PostgreSQL tests were skipped: USAGE_TEST_POSTGRES_URL is not set. Set it to \
        postgres://USER@HOST:PORT/postgres (a server where USER may create databases) to run them; .ci/run starts one.
        """

    static var serverURL: String? {
        guard let value = ProcessInfo.processInfo.environment["USAGE_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }

    static var shouldRun: Bool {
        serverURL != nil || (ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false)
    }

    static func server() throws -> PostgresDatabaseURL {
        guard let serverURL else {
            throw StoreError("USAGE_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)")
        }
        return try PostgresDatabaseURL(serverURL)
    }

    let name: String
    let url: String

    /// Creates the database.
    static func create() async throws -> PostgresTestDatabase {
        let server = try server()
        let name = "usage_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await query(server, "CREATE DATABASE \(name) TEMPLATE template0")
        return PostgresTestDatabase(name: String(name), url: try server.naming(database: String(name)))
    }

    /// Drops the database, ending any connection still open to it.
    func drop() async {
        guard let server = try? Self.server() else { return }
        _ = try? await Self.query(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// The rows of one statement run on its own connection to `url`.
    @discardableResult
    static func query(_ url: PostgresDatabaseURL, _ sql: String) async throws -> [PostgresRow] {
        let logger = Logger(label: "postgres-test")
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 1, logger: logger)
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
            try await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The rows of one statement run on this database.
    func query(_ sql: String) async throws -> [PostgresRow] {
        try await Self.query(try PostgresDatabaseURL(url), sql)
    }
}
