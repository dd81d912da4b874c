import Logging
import PostgresNIO
import ServiceLifecycle
import UsageStore
import UsageTrackingCore

/// The scale-out database: one PostgreSQL database shared by any number of collectors.
///
/// A batch of pings is one statement, `usage_journal_append` (``PostgresJournal``): one round trip
/// and one commit, acknowledged only once committed (`synchronous_commit` as the server has it, on
/// by default). Every write transaction holds one transaction advisory lock
/// (``PostgresRows/rollupLockKey``), so folds, merges, erasures and purges run one at a time
/// across collectors; a serialization failure or deadlock reported by the server is retried.
///
/// Call ``migrate(pseudonymizer:waitingUpTo:)`` before serving, and run ``services`` (the
/// connection pool) for as long as it is used.
public final class PostgresDriver: StoreDriver {
    /// Where the database is (its password is never shown).
    public let url: PostgresDatabaseURL
    let client: PostgresClient
    let logger: Logger
    /// PostgresNIO logs statements and their parameters at debug level: never below info here.
    let queryLogger: Logger

    /// The longest a journal append may wait (for a connection, or for the server) before its
    /// pings get a 503: below the agent's 10 s per attempt, so the agent hears why and retries.
    static let appendLimit: Duration = .seconds(5)

    public var foldBatch: Int { PostgresJournal.foldBatch }

    /// Prepares the pool for the database at `url` (nothing connects until ``migrate(pseudonymizer:waitingUpTo:)``
    /// or until ``services`` run); throws when the URL is not usable.
    public convenience init(url text: String, logger: Logger) throws {
        let url = try PostgresDatabaseURL(text)
        let queryLogger = Self.queryLogger(logger)
        try self.init(url: url, client: PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: queryLogger.forPostgresPool), logger: logger)
    }

    /// A driver on a pool the caller made for `url` (the caller runs it, or ``services`` do).
    public init(url: PostgresDatabaseURL, client: PostgresClient, logger: Logger) throws {
        self.url = url
        self.client = client
        self.logger = logger
        self.queryLogger = Self.queryLogger(logger)
    }

    static func queryLogger(_ logger: Logger) -> Logger {
        var queryLogger = logger
        queryLogger.logLevel = max(logger.logLevel, .info)
        return queryLogger
    }

    /// The connection pool: run it (the collector's service group does) while the store is used.
    public var services: [any Service] { [client] }

    /// PostgreSQL's journal holds the appends of every collector: only a fold can tell.
    public var unfoldedPings: Int? { nil }

    // MARK: Migrations

    /// Connects once, applies the migrations this database lacks and records or checks how IDs
    /// are stored (``Pseudonymizer/check(stored:pseudonymizer:database:)``), holding an advisory lock
    /// so that collectors starting together migrate one at a time.
    ///
    /// Needs no running pool. Throws a ``StoreError`` that says what is wrong: an unreachable
    /// server, a refused password, a database that does not exist.
    ///
    /// With `waitingUpTo`, a connection that fails (a server not started or starting up, but
    /// also a refused password: the error is the same until the server answers) is tried again
    /// with a growing pause (1 s, 2 s, 4 s, then every 8 s) until that much time has passed;
    /// errors after connecting (a migration, a pseudonymisation key) end it at once.
    public func migrate(pseudonymizer: Pseudonymizer?, waitingUpTo limit: Duration = .zero) async throws {
        let connection: PostgresConnection
        let deadline = ContinuousClock.now + limit
        var pause = Duration.seconds(1)
        while true {
            do {
                connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0, logger: queryLogger)
                break
            } catch {
                let reason = PostgresErrors.describe(error)
                guard ContinuousClock.now + pause < deadline else {
                    throw StoreError("cannot connect to PostgreSQL at \(url): \(reason)")
                }
                logger.warning("cannot connect to PostgreSQL yet; trying again", metadata: ["error": "\(reason)", "retry.in_s": "\(pause.components.seconds)"])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(8))
            }
        }
        do {
            try await PostgresMigrations.migrate(on: connection, logger: queryLogger, log: logger)
            let rows = PostgresRows(connection: connection, logger: queryLogger)
            let stored = try await rows.rows(String.self, "SELECT value FROM settings WHERE name = 'pseudonymization'").first
            try Pseudonymizer.check(stored: stored, pseudonymizer: pseudonymizer, database: "\(url)")
            if stored == nil {
                // Another collector may have claimed it meanwhile: whatever is stored is checked.
                let claimed = try await rows.claimSetting("pseudonymization", Pseudonymizer.setting(for: pseudonymizer))
                try Pseudonymizer.check(stored: claimed, pseudonymizer: pseudonymizer, database: "\(url)")
            }
            try await rebuildRollupsUnderOlderRules(on: connection)
            try await rows.execute("""
                INSERT INTO settings (name, value) VALUES ('written_by', \(ReleaseVersion.current)) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """)
            try await rows.execute("SELECT pg_advisory_unlock(\(PostgresMigrations.advisoryLockKey))")
        } catch {
            try? await connection.close()
            if let error = error as? StoreError { throw error }
            throw StoreError("cannot migrate the PostgreSQL database at \(url): \(PostgresErrors.describe(error))")
        }
        try? await connection.close()
    }

    /// Rebuilds the rollups from the rows when they were kept under older rules
    /// (``RollupContribution/rulesVersion``), in one transaction holding the rollup lock.
    func rebuildRollupsUnderOlderRules(on connection: PostgresConnection) async throws {
        try await PostgresRows.transaction(on: connection, logger: queryLogger) { rows in
            try await rows.lockRollups()
            let rules = Int(try await rows.rows(String.self, "SELECT value FROM settings WHERE name = 'rollup_rules'").first ?? "1") ?? 1
            guard rules < RollupContribution.rulesVersion else { return }
            if try await rows.rows(Bool.self, "SELECT EXISTS (SELECT 1 FROM instance_days)").first == true {
                logger.notice("the report rollups were kept under older rules; rebuilding them from the rows", metadata: [
                    "rollups.rules": "\(rules)", "rollups.rules_now": "\(RollupContribution.rulesVersion)",
                ])
                let rollups = try await RowStore<PostgresDriver>.rollupsRebuilt(from: rows)
                try await rows.clearRollups()
                try await rows.add(rollups)
            }
            try await rows.execute("""
                INSERT INTO settings (name, value) VALUES ('rollup_rules', \(String(RollupContribution.rulesVersion)))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """)
        }
    }

    // MARK: The journal

    public func append(_ pings: [(key: String, ping: StoredDay)]) async throws -> [Bool] {
        let ids = pings.map(\.key)
        let days = pings.map(\.ping.day)
        // PostgresNIO binds no arrays of optionals: the empty string stands for "no region".
        let regions = pings.map { $0.ping.region ?? "" }
        let times = pings.map(\.ping.firstSeen)
        // Bounded: while the server is down, the pool holds a query until it can connect; the
        // pings then get a 503 after this long instead of waiting as long as the outage.
        return try await Self.within(Self.appendLimit, "take the pings") { [self] in
            try await retrying("record") {
                try await client.withConnection { connection in
                    let rows = try await PostgresRows(connection: connection, logger: queryLogger).rows([Bool].self, """
                        SELECT usage_journal_append(\(ids)::text[], \(days)::integer[], \(regions)::text[], \(times)::bigint[])
                        """)
                    guard let firstToday = rows.first else { throw StoreError("PostgreSQL returned no row for usage_journal_append") }
                    return firstToday
                }
            }
        }
    }

    // MARK: Transactions and snapshots

    public func write<T: Sendable>(_ operation: String, _ body: (PostgresRows) async throws -> T) async throws -> T {
        try await retrying(operation) {
            try await client.withConnection { connection in
                try await PostgresRows.transaction(on: connection, logger: queryLogger) { rows in
                    try await rows.lockRollups()
                    return try await body(rows)
                }
            }
        }
    }

    /// One read-only snapshot: a repeatable-read transaction, so every query of it sees the same data.
    public func read<T: Sendable>(_ body: (PostgresRows) async throws -> T) async throws -> T {
        try await retrying("read") {
            try await client.withConnection { connection in
                try await PostgresRows.transaction(on: connection, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: queryLogger, body)
            }
        }
    }

    /// Runs `body`, retrying what the server rolled back as a serialization failure or deadlock.
    func retrying<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error where PostgresErrors.isRetryable(error) && attempt < 6 {
                logger.notice("PostgreSQL rolled back a write; retrying", metadata: [
                    "db.operation": "\(operation)", "retry.attempt": "\(attempt)", "error": "\(PostgresErrors.describe(error))",
                ])
                try await Task.sleep(for: .milliseconds(5 * attempt * attempt))
                attempt += 1
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError("PostgreSQL \(operation) failed: \(PostgresErrors.describe(error))")
            }
        }
    }

    /// Answers within five seconds from a server that takes writes (not a standby in recovery,
    /// as a failed-over primary is for a while), or throws.
    public func checkReadiness() async throws {
        let client = self.client
        let logger = queryLogger
        try await Self.within(.seconds(5), "answer") {
            for row in try await client.rows("SELECT pg_is_in_recovery()", logger: logger) where try row.decode(Bool.self) {
                throw StoreError("PostgreSQL is a standby in recovery and takes no writes")
            }
        }
    }

    /// Runs `body`, or throws once `limit` has passed (cancelling it, and waiting for it to end).
    static func within<T: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else {
                throw StoreError("PostgreSQL did not \(what) within \(limit)")
            }
            return value
        }
    }
}
