import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import UsageTrackingCore

/// The scale-out store: one PostgreSQL database shared by any number of collectors.
///
/// A batch of pings is one statement, `usage_journal_append` (``PostgresJournal``): one round trip
/// and one commit, acknowledged only once committed (`synchronous_commit` as the server has it, on
/// by default). Folds, merges, erasures and purges are transactions of a few statements each
/// (``PostgresRows``), one at a time across collectors under one advisory lock, with the core's
/// arithmetic; writes are idempotent per (instance, day), and a serialization failure or
/// deadlock reported by the server is retried.
///
/// Open it with ``init(url:pseudonymizer:logger:)``, call ``migrate()`` before serving, and run
/// ``services`` (its connection pool) for as long as it is used.
public final class PostgresUsageStore: UsageStore {
    /// Where the database is (its password is never shown).
    public let url: PostgresDatabaseURL
    let client: PostgresClient
    let pseudonymizer: Pseudonymizer?
    let logger: Logger
    /// PostgresNIO logs statements and their parameters at debug level: never below info here.
    let queryLogger: Logger

    /// Instances per purge transaction: a purge holds the locks of this many instances at a time.
    static let purgeChunk = 5_000
    /// The longest a journal append may wait (for a connection, or for the server) before its
    /// pings get a 503: below the agent's 10 s per attempt, so the agent hears why and retries.
    static let recordLimit: Duration = .seconds(5)
    /// Time between the journal folder's folds.
    let foldInterval: Duration

    /// Prepares the pool for the database at `url` (nothing connects until ``migrate()`` or until
    /// ``services`` run); throws when the URL is not usable.
    ///
    /// With a `pseudonymizer`, instance IDs are stored as keyed hashes; ``migrate()`` refuses a
    /// database written with another key, or with and without one.
    public init(url text: String, pseudonymizer: Pseudonymizer? = nil, foldInterval: Duration = .milliseconds(250), logger: Logger) throws {
        self.url = try PostgresDatabaseURL(text)
        self.foldInterval = foldInterval
        self.pseudonymizer = pseudonymizer
        self.logger = logger
        var queryLogger = logger
        queryLogger.logLevel = max(logger.logLevel, .info)
        self.queryLogger = queryLogger
        self.client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: queryLogger.forPostgresPool)
    }

    /// The connection pool and the journal folder: run them (the collector's service group does)
    /// while the store is used.
    public var services: [any Service] {
        [client, JournalFolder(interval: foldInterval, logger: logger, pending: { nil }, fold: { [self] in try await self.foldJournal() })]
    }

    /// Folds the ping journal into the rows and rollups until it is empty (see ``PostgresJournal``);
    /// returns how many entries this call folded.
    @discardableResult
    public func foldJournal() async throws -> Int {
        var total = 0
        while true {
            let folded = try await transaction("fold") { rows in
                try await rows.lockRollups()
                // The oldest entries, as one range of the primary key: whatever the planner thinks
                // of the table (its statistics are of a journal that is usually near empty, and
                // `seq IN (subquery)` was planned as a nested loop, minutes for 200,000 entries).
                // Entries with lower numbers whose transactions commit later are not visible
                // here and are taken by a later fold.
                let entries = try await rows.rows((Int64, String, Int, String?, Int64).self, """
                    DELETE FROM ping_journal
                    WHERE seq <= coalesce(
                        (SELECT seq FROM ping_journal ORDER BY seq OFFSET \(PostgresJournal.foldBatch - 1) LIMIT 1),
                        (SELECT max(seq) FROM ping_journal))
                    RETURNING seq, instance_id, day, region, received_ms
                    """).sorted { $0.0 < $1.0 }
                try await rows.fold(InstanceChanges(pings: entries.map { ($0.1, StoredDay(ping: $0.2, region: $0.3, at: $0.4)) }))
                return entries.count
            }
            total += folded
            if folded < PostgresJournal.foldBatch { return total }
        }
    }

    /// The stored form of an instance ID: itself, or its pseudonym.
    func key(_ instanceID: InstanceID) -> String {
        pseudonymizer?.pseudonym(for: instanceID) ?? instanceID.rawValue
    }

    // MARK: Migrations

    /// Connects once, applies the migrations this database lacks and checks the pseudonymisation
    /// key, holding an advisory lock so that collectors starting together migrate one at a time.
    ///
    /// Needs no running pool. Throws a ``StoreError`` that says what is wrong: an unreachable
    /// server, a refused password, a database that does not exist.
    ///
    /// With `waitingUpTo`, a connection that fails (a server not started or starting up, but
    /// also a refused password: the error is the same until the server answers) is tried again
    /// with a growing pause (1 s, 2 s, 4 s, then every 8 s) until that much time has passed;
    /// errors after connecting (a migration, a pseudonymisation key) end it at once.
    public func migrate(waitingUpTo limit: Duration = .zero) async throws {
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
            try await migrate(on: connection)
            try await checkPseudonymization(on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(PostgresMigrations.advisoryLockKey))", logger: queryLogger)
        } catch {
            try? await connection.close()
            if let error = error as? StoreError { throw error }
            throw StoreError("cannot migrate the PostgreSQL database at \(url): \(PostgresErrors.describe(error))")
        }
        try? await connection.close()
    }

    func migrate(on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(PostgresMigrations.advisoryLockKey))", logger: queryLogger)
        // Created only when missing: a role without CREATE rights can open a migrated database.
        var exists = false
        for try await name in try await connection.query("SELECT to_regclass('schema_migrations')::text", logger: queryLogger).decode(String?.self) {
            exists = name != nil
        }
        if !exists {
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id text NOT NULL PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: queryLogger)
        }
        var applied = Set<String>()
        for try await id in try await connection.query("SELECT id FROM schema_migrations", logger: queryLogger).decode(String.self) {
            applied.insert(id)
        }
        let known = Set(PostgresMigrations.all.map(\.id))
        if let newer = applied.subtracting(known).sorted().last {
            logger.notice("the database has migrations this build does not know; a newer collector migrated it", metadata: ["migration.id": "\(newer)"])
        }
        for migration in PostgresMigrations.all where !applied.contains(migration.id) {
            try await Self.transaction(on: connection, logger: queryLogger) { connection in
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: queryLogger)
                }
                try await connection.query("INSERT INTO schema_migrations (id) VALUES (\(migration.id))", logger: queryLogger)
            }
            logger.info("applied database migration", metadata: ["migration.id": "\(migration.id)"])
        }
    }

    /// Records, on first use, whether and with which key IDs are pseudonymised; refuses a change.
    func checkPseudonymization(on connection: PostgresConnection) async throws {
        let wanted = Pseudonymizer.setting(for: pseudonymizer)
        try await connection.query("""
            INSERT INTO settings (name, value) VALUES ('pseudonymization', \(wanted)) ON CONFLICT (name) DO NOTHING
            """, logger: queryLogger)
        var stored = wanted
        for try await value in try await connection.query("SELECT value FROM settings WHERE name = 'pseudonymization'", logger: queryLogger).decode(String.self) {
            stored = value
        }
        try Pseudonymizer.check(stored: stored, wanted: wanted, database: "\(url)")
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back and rethrowing its error.
    static func transaction(
        on connection: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await body(connection)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        try await connection.query("COMMIT", logger: logger)
    }

    // MARK: Writes

    public func record(_ pings: [Ping]) async throws -> [RecordOutcome] {
        guard !pings.isEmpty else { return [] }
        let ids = pings.map { key($0.instanceID) }
        let days = pings.map(\.day.daysSinceEpoch)
        // PostgresNIO binds no arrays of optionals: the empty string stands for "no region".
        let regions = pings.map { $0.region?.code ?? "" }
        let times = pings.map(\.receivedAtMilliseconds)
        // Bounded: while the server is down, the pool holds a query until it can connect; the
        // pings then get a 503 after this long instead of waiting as long as the outage.
        let firstToday = try await Self.within(Self.recordLimit, "take the pings") { [self] in
            try await write("record") {
                try await single([Bool].self, """
                    SELECT usage_journal_append(\(ids)::text[], \(days)::integer[], \(regions)::text[], \(times)::bigint[])
                    """)
            }
        }
        guard firstToday.count == pings.count else {
            throw StoreError("PostgreSQL record returned \(firstToday.count) outcomes for \(pings.count) pings")
        }
        return firstToday.map(RecordOutcome.init(firstToday:))
    }

    public func merge(_ days: [DayAggregate]) async throws -> MergeSummary {
        guard !days.isEmpty else { return MergeSummary() }
        let changes = InstanceChanges(merging: days, key: key)
        // The journal's pings first: a merge keeps the larger count, so the order matters.
        try await foldJournal()
        return try await transaction("merge") { rows in
            try await rows.lockRollups()
            return try await rows.fold(changes)
        }
    }

    /// Deletes the instance's rows, and its pings still in the journal, in one transaction. The
    /// rows are gone for every reader at once; PostgreSQL reclaims their bytes in the table files
    /// and its write-ahead log later (autovacuum, WAL recycling): run
    /// `VACUUM instance_days, instances, ping_journal` to hasten it.
    public func forget(_ instanceID: InstanceID) async throws -> Int {
        let id = key(instanceID)
        try await foldJournal()
        return try await transaction("forget") { rows in
            try await rows.lockRollups()
            try await rows.execute("DELETE FROM ping_journal WHERE instance_id = \(id)")
            let count = try await rows.rows(Int.self, """
                SELECT (SELECT count(*) FROM instance_days WHERE instance_id = \(id)) + (SELECT count(*) FROM instances WHERE instance_id = \(id))
                """).first ?? 0
            try await rows.fold(InstanceChanges(.forget, of: [id]))
            return count
        }
    }

    /// Purges in transactions of at most ``purgeChunk`` instances each (in instance-ID order), so
    /// pings keep flowing meanwhile; each transaction is exact on its own.
    public func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary {
        let cutoff = today.advanced(by: -days).daysSinceEpoch
        try await foldJournal()
        var dayRows = 0
        var instances = 0
        var after = ""
        while true {
            let chunk = try await transaction("purge") { rows -> (days: Int, instances: Int, last: String?) in
                try await rows.lockRollups()
                let keys = try await rows.rows(String.self, """
                    SELECT instance_id FROM instances WHERE first_day < \(cutoff) AND instance_id > \(after)
                    ORDER BY instance_id LIMIT \(Self.purgeChunk)
                    """)
                guard let last = keys.last else { return (0, 0, nil) }
                let (days, before) = try await rows.rows((Int, Int).self, """
                    SELECT (SELECT count(*) FROM instance_days WHERE instance_id = ANY(\(keys)::text[]) AND day < \(cutoff)),
                           (SELECT count(*) FROM instances WHERE instance_id = ANY(\(keys)::text[]))
                    """).first ?? (0, 0)
                try await rows.fold(InstanceChanges(.purge(before: cutoff), of: keys))
                let kept = try await rows.rows(Int.self, "SELECT count(*) FROM instances WHERE instance_id = ANY(\(keys)::text[])").first ?? 0
                return (days, before - kept, last)
            }
            dayRows += chunk.days
            instances += chunk.instances
            guard let last = chunk.last else { break }
            after = last
        }
        return PurgeSummary(cutoff: UTCDay(daysSinceEpoch: cutoff), dayRows: dayRows, instances: instances)
    }

    /// Runs `body` in one transaction on one connection (retried as ``write(_:_:)`` retries).
    func transaction<T: Sendable>(
        _ operation: String, begin: PostgresQuery = "BEGIN", _ body: (PostgresRows) async throws -> T
    ) async throws -> T {
        try await write(operation) {
            try await client.withConnection { connection in
                let rows = PostgresRows(connection: connection, logger: queryLogger)
                try await rows.execute(begin)
                do {
                    let result = try await body(rows)
                    try await rows.execute("COMMIT")
                    return result
                } catch {
                    _ = try? await connection.rows("ROLLBACK", logger: queryLogger)
                    throw error
                }
            }
        }
    }

    /// Runs a write, retrying what the server rolled back as a serialization failure or deadlock.
    func write<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
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

    /// The one value of the one row `query` returns.
    func single<T: PostgresDecodable & Sendable>(_ type: T.Type, _ query: PostgresQuery) async throws -> T {
        if let row = try await client.rows(query, logger: queryLogger).first {
            return try row.decode(T.self)
        }
        throw StoreError("PostgreSQL returned no row for \(query.sql.prefix(40))")
    }

    /// Recomputes every rollup from the rows (tests compare it with the rollups the folds kept).
    public func rebuildRollups() async throws {
        try await foldJournal()
        try await transaction("rebuild rollups") { rows in
            try await rows.lockRollups()
            try await rows.rebuildRollups()
        }
    }

    // MARK: Reads

    /// Runs `body` in one read-only snapshot, so every query of a report sees the same data.
    /// Folds the journal first, so the snapshot holds every ping acknowledged before the call.
    func read<T: Sendable>(_ body: (PostgresRows) async throws -> T) async throws -> T {
        try await foldJournal()
        return try await transaction("read", begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    public func readRollups<T: Sendable>(_ body: @Sendable (any RollupReader) async throws -> T) async throws -> T {
        try await read { rows in try await body(PostgresRollupReader(rows: rows)) }
    }

    public func instanceSummary(_ instanceID: InstanceID) async throws -> InstanceSummary? {
        let key = self.key(instanceID)
        return try await read { db in
            guard let (firstDay, lastDay, region) = try await db.rows((Int, Int, String?).self, """
                SELECT first_day, last_day, region FROM instances WHERE instance_id = \(key)
                """).first else { return nil }
            let days = try await db.rows((Int, String?, Int64, Int64, Int).self, """
                SELECT day, region, first_seen_ms, last_seen_ms, pings FROM instance_days WHERE instance_id = \(key) ORDER BY day
                """).map { day, region, first, last, pings in
                InstanceSummary.Day(
                    day: UTCDay(daysSinceEpoch: day), region: region,
                    firstSeenMilliseconds: first, lastSeenMilliseconds: last, pings: pings
                )
            }
            return InstanceSummary(
                instanceID: instanceID.rawValue, region: region,
                firstActiveDay: UTCDay(daysSinceEpoch: firstDay), lastActiveDay: UTCDay(daysSinceEpoch: lastDay), days: days
            )
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
