import Foundation
import Logging
import PostgresNIO
import TestSupport
import ServiceLifecycle
import Testing
import UsageStore
import UsageTrackingCore
import UsageStorePostgres

/// What only the PostgreSQL store has: migrations shared by several collectors, concurrent writers,
/// and its configuration errors. The conformance and oracle
/// suites run on it too, through `StoreBackend.postgres`.
///
/// Without `USAGE_TEST_POSTGRES_URL` (and outside CI) the whole suite is skipped, and says so.
@Suite(.enabled(if: PostgresTestServer.shouldRun, PostgresTestServer.skipMessage))
struct PostgresUsageStoreTests {
    static let logger = Logger(label: "test")

    /// A migrated store on a fresh database, its pool running while `body` uses it.
    static func withStore<T: Sendable>(
        pseudonymizer: Pseudonymizer? = nil, database: PostgresTestDatabase? = nil,
        _ body: (PostgresUsageStore, PostgresTestDatabase) async throws -> T
    ) async throws -> T {
        guard let database else {
            return try await PostgresTestDatabase.with { try await withStore(pseudonymizer: pseudonymizer, database: $0, body) }
        }
        let store = try PostgresUsageStore(url: database.url, pseudonymizer: pseudonymizer, logger: logger)
        try await store.migrate()
        return try await withServices(of: store) { try await body(store, database) }
    }

    /// Runs the store's services (pool, journal folder) while `body` runs, then shuts them down
    /// gracefully, in reverse order: the folder's last fold still has the pool.
    static func withServices<T: Sendable>(of store: PostgresUsageStore, _ body: () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: store.services, gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// Runs one query on its own connection and returns its rows.
    static func query<each Column: PostgresDecodable>(
        _ url: String, _ sql: String, as type: (repeat each Column).Type
    ) async throws -> [(repeat each Column)] {
        let connection = try await PostgresConnection.connect(configuration: try PostgresDatabaseURL(url).connectionConfiguration(), id: 9, logger: logger)
        var result: [(repeat each Column)] = []
        do {
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                result.append(try row.decode((repeat each Column).self))
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return result
    }

    /// Every report the store gives over days 0…69, for comparing two states.
    static func reports(_ store: some UsageStore) async throws -> String {
        var text = ""
        for region in [nil, "us-west-2", "eu-west-1", "unknown"] as [String?] {
            let filter = try region.flatMap { $0 == "unknown" ? nil : try Region(validating: $0) }
            for window in [1, 7, 28] {
                text += "\(try await store.dailyActivity(from: Sample.day(0), to: Sample.day(69), window: window, region: filter))\n"
            }
        }
        text += "\(try await store.newInstances(from: nil, to: nil, region: nil))\n"
        text += "\(try await store.churned(after: 5, from: nil, to: nil, region: nil))\n"
        text += "\(try await store.regions(from: nil, to: nil))\n"
        text += "\(try await store.retention(from: nil, to: nil))\n"
        return text
    }

    /// A database a newer release migrated is refused, naming both releases, and nothing is applied.
    @Test func aNewerDatabaseIsRefused() async throws {
        try await PostgresTestDatabase.with { database in
            try await Self.withStore(database: database) { store, _ in _ = try await store.record(Sample.ping(1)) }
            _ = try await Self.query(database.url, "INSERT INTO schema_migrations (id) VALUES ('2099-01-01-099-from-the-future')", as: Int.self)
            _ = try await Self.query(database.url, "UPDATE settings SET value = '9.9.9' WHERE name = 'written_by'", as: Int.self)
            let store = try PostgresUsageStore(url: database.url, logger: Self.logger)
            await #expect { try await store.migrate() } throws: { error in
                "\(error)".contains("migrated by usage-collector 9.9.9 (its migration 2099-01-01-099-from-the-future is unknown to this release, \(ReleaseVersion.current))")
            }
            #expect(try await Self.query(database.url, "SELECT value FROM settings WHERE name = 'written_by'", as: String.self) == ["9.9.9"])
        }
    }

    /// Rollups kept under older rules (a made-up code as its own scope) are rebuilt at migration.
    @Test func rollupsKeptUnderOlderRulesAreRebuiltWhenMigrating() async throws {
        try await PostgresTestDatabase.with { database in
            try await Self.withStore(database: database) { store, _ in
                _ = try await store.record([Sample.ping(1, region: "us-fake-1"), Sample.ping(2, region: "us-west-2")])
                try await store.foldJournal()
            }
            for sql in [
                "UPDATE daily_rollup SET scope = 'us-fake-1' WHERE scope = 'other'", "UPDATE window_delta SET scope = 'us-fake-1' WHERE scope = 'other'",
                "DELETE FROM settings WHERE name = 'rollup_rules'",
            ] {
                _ = try await Self.query(database.url, sql, as: Int.self)
            }
            let regions = try await Self.withStore(database: database) { store, _ in
                try await store.regions(from: nil, to: nil).regions.map(\.region)
            }
            #expect(regions == ["other", "us-west-2"])
            #expect(try await Self.query(database.url, "SELECT value FROM settings WHERE name = 'rollup_rules'", as: String.self) == ["2"])
        }
    }

    @Test func theServerIsConfigured() throws {
        // In CI a missing USAGE_TEST_POSTGRES_URL fails here (and in every PostgreSQL case).
        _ = try PostgresTestServer.requireURL()
    }

    // MARK: Migrations

    @Test func collectorsStartingTogetherMigrateOnceUnderTheAdvisoryLock() async throws {
        try await PostgresTestDatabase.with { database in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let store = try PostgresUsageStore(url: database.url, logger: Self.logger)
                        try await store.migrate()
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await Self.query(database.url, "SELECT id FROM schema_migrations ORDER BY id", as: String.self)
            #expect(rows == ["2026-11-30-001-instance-days", "2026-11-30-002-settings", "2026-11-30-003-report-rollups", "2026-11-30-004-write-functions", "2026-12-03-005-ping-journal", "2026-12-04-006-days-seen", "2026-12-04-007-rollups-written-by-the-fold", "2026-12-07-008-import-manifest"])
            // Migrating again changes nothing and keeps the data.
            try await Self.withStore(database: database) { store, _ in
                _ = try await store.record(Sample.ping(1))
                try await store.migrate()
                #expect(try await store.instanceRecord(Sample.id(1))?.days.count == 1)
            }
        }
    }

    @Test func aRoleWithoutCreateRightsServesAMigratedDatabase() async throws {
        let role = "usage_dml_" + UUID().uuidString.lowercased().prefix(8)
        try await PostgresTestServer.execute("CREATE ROLE \(role) LOGIN PASSWORD 'dml-password'")
        // The role goes after its database, where it holds rights.
        let (outcomes, days) = try await PostgresTestDatabase.with { database in
            try await PostgresUsageStore(url: database.url, logger: Self.logger).migrate()
            _ = try await Self.query(database.url, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)", as: Int?.self)
            let server = try PostgresTestServer.requireURL()
            let url = "postgres://\(role):dml-password@\(server.host):\(server.port)/\(database.name)?sslmode=disable"
            let store = try PostgresUsageStore(url: url, logger: Self.logger)
            try await store.migrate()
            return try await Self.withServices(of: store) {
                let outcomes = try await store.record([Sample.ping(1), Sample.ping(1, hour: 13)])
                return (outcomes, try await store.dailyActivity(from: nil, to: nil, window: 7, region: nil))
            }
        }
        try await PostgresTestServer.execute("DROP ROLE IF EXISTS \(role)")
        #expect(outcomes.map(\.firstToday) == [true, false])
        #expect(days.map(\.active) == [1])
    }

    // MARK: Concurrent writers

    @Test func concurrentWritersOfTheSameInstancesNeitherDeadlockNorLoseCounts() async throws {
        try await Self.withStore { store, database in
            // Three writers, each sending every ping of the same history in its own batches and order.
            var random = ReportOracleTests.SplitMix(state: 42)
            var pings: [Ping] = []
            for _ in 0..<300 {
                let region = ["us-west-2", "eu-west-1", nil][random.next(3)]
                pings.append(Sample.ping(random.next(60), day: random.next(40), hour: Int64(random.next(24)), region: region))
            }
            let history = pings
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<3 {
                    group.addTask {
                        var order = SystemRandomNumberGenerator()
                        var remaining = writer % 2 == 0 ? history : history.reversed()
                        remaining.shuffle(using: &order)
                        while !remaining.isEmpty {
                            let size = min(remaining.count, Int.random(in: 1...40, using: &order))
                            _ = try await store.record(Array(remaining.prefix(size)))
                            remaining.removeFirst(size)
                            // Each writer also folds the journal: three folds of the same instances at once.
                            try await store.foldJournal()
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Every (instance, day) once, with three times its pings.
            var expected: [String: Int] = [:]
            for ping in history { expected["\(ping.instanceID.rawValue) \(ping.day.daysSinceEpoch)", default: 0] += 3 }
            let rows = try await Self.query(database.url, "SELECT instance_id, day, pings FROM instance_days", as: (String, Int, Int).self)
            #expect(rows.count == expected.count)
            #expect(Dictionary(uniqueKeysWithValues: rows.map { ("\($0.0) \($0.1)", $0.2) }) == expected)
            // The rollups kept by the concurrent writes equal the rollups rebuilt from the rows.
            let kept = try await Self.reports(store)
            try await store.rebuildRollups()
            #expect(try await Self.reports(store) == kept)
        }
    }

    @Test func rollupsKeptByEveryKindOfWriteEqualRollupsRebuiltFromTheRows() async throws {
        try await Self.withStore { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<3 {
                    group.addTask {
                        var local = ReportOracleTests.SplitMix(state: UInt64(writer + 100))
                        for _ in 0..<25 {
                            let choice = local.next(10)
                            if choice < 6 {
                                let batch = (0..<(1 + local.next(15))).map { _ in
                                    Sample.ping(local.next(30), day: local.next(70), hour: Int64(local.next(24)), region: ["us-west-2", "eu-west-1", nil][local.next(3)])
                                }
                                _ = try await store.record(batch)
                            } else if choice < 8 {
                                let aggregates = (0..<(1 + local.next(8))).map { _ in
                                    var aggregate = DayAggregate(Sample.ping(local.next(30), day: local.next(70), region: ["us-west-2", nil][local.next(2)]))
                                    aggregate.pings = 1 + local.next(4)
                                    return aggregate
                                }
                                _ = try await store.merge(aggregates)
                            } else if choice < 9 {
                                _ = try await store.forget(Sample.id(local.next(30)))
                            } else {
                                _ = try await store.purge(olderThan: 60 + local.next(20), today: Sample.day(70 + local.next(10)))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let kept = try await Self.reports(store)
            try await store.rebuildRollups()
            #expect(try await Self.reports(store) == kept)
        }
    }

    // Merge, erasure and retention: UsageStoreConformanceTests, on both backends.

    // Pseudonymisation: UsageStoreConformanceTests, on both backends.

    // MARK: Bad configuration

    @Test(arguments: [
        ("postgres//nohost", "not usable"),
        ("postgres://user@host:99999/db", "port"),
        ("postgres:///db", "names no host"),
        ("postgres://127.0.0.1/db", "names no user"),
        ("mysql://user@host/db", "scheme"),
        ("postgres://user:secret@host/db?sslmode=sometimes", "sslmode must be one of"),
        ("postgres://user:secret@host/db?pool=3", "unknown parameter pool"),
        ("postgres://user:secret@host/db/extra", "one database name"),
    ])
    func aMalformedURLIsAClearErrorThatHidesThePassword(_ url: String, _ message: String) {
        #expect {
            try PostgresUsageStore(url: url, logger: Self.logger)
        } throws: { error in
            let text = "\(error)"
            return error is StoreError && text.contains(message) && !text.contains("secret")
        }
    }

    @Test func anUnreachableServerIsAClearError() async throws {
        let server = try PostgresTestServer.requireURL()
        let port = try Self.closedPort()
        let store = try PostgresUsageStore(url: "postgres://\(server.username)@127.0.0.1:\(port)/postgres?connect_timeout=5", logger: Self.logger)
        await #expect {
            try await store.migrate()
        } throws: { error in
            let text = "\(error)"
            return text.contains("cannot connect to PostgreSQL at postgres://\(server.username)@127.0.0.1:\(port)/postgres") && text.lowercased().contains("refused")
        }
    }

    @Test func anUnknownDatabaseIsAClearError() async throws {
        let server = try PostgresTestServer.requireURL()
        let store = try PostgresUsageStore(url: try server.naming(database: "usage_no_such_database"), logger: Self.logger)
        await #expect { try await store.migrate() } throws: { "\($0)".contains(#"database "usage_no_such_database" does not exist"#) }
    }

    /// Needs a server that asks this role for a password: `.ci/run` writes
    /// `host all +usage_password_login 127.0.0.1/32 scram-sha-256` first in pg_hba.conf.
    @Test func aWrongPasswordIsAClearErrorThatHidesThePassword() async throws {
        let server = try PostgresTestServer.requireURL()
        let role = "usage_pw_" + UUID().uuidString.lowercased().prefix(8)
        try await PostgresTestServer.execute("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'usage_password_login') THEN
                    CREATE ROLE usage_password_login NOLOGIN;
                END IF;
            END $$
            """)
        try await PostgresTestServer.execute("CREATE ROLE \(role) LOGIN PASSWORD 'right-password' IN ROLE usage_password_login")
        let good = try PostgresUsageStore(url: "postgres://\(role):right-password@\(server.host):\(server.port)/postgres?sslmode=disable", logger: Self.logger)
        let wrong = try PostgresUsageStore(url: "postgres://\(role):wrong-password@\(server.host):\(server.port)/postgres?sslmode=disable", logger: Self.logger)
        await #expect {
            try await wrong.migrate()
        } throws: { error in
            let text = "\(error)"
            return text.contains("password authentication failed") && text.contains(":***@") && !text.contains("wrong-password")
        }
        // The right password gets past authentication (and then lacks the right to create tables).
        await #expect {
            try await good.migrate()
        } throws: { !"\($0)".contains("password authentication failed") && !"\($0)".contains("cannot connect") }
        try await PostgresTestServer.execute("DROP ROLE IF EXISTS \(role)")
    }

    @Test func sslmodeRequireAgainstAServerWithoutTLSIsAClearError() async throws {
        let server = try PostgresTestServer.requireURL()
        // The test server runs without TLS (`.ci/run` starts it so).
        let store = try PostgresUsageStore(url: "postgres://\(server.username)@\(server.host):\(server.port)/postgres?sslmode=require", logger: Self.logger)
        await #expect { try await store.migrate() } throws: { "\($0)".contains("does not accept TLS") }
    }

    /// A TCP port on 127.0.0.1 with nothing listening (bound and closed again at once).
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw StoreError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
