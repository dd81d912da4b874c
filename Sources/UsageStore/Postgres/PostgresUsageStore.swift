import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import UsageTrackingCore

/// The scale-out store: one PostgreSQL database shared by any number of collectors.
///
/// Every write is one statement (a PL/pgSQL function, see ``PostgresMigrations``), so a batch of
/// pings costs one round trip and one commit, acknowledged only once committed
/// (`synchronous_commit` as the server has it, on by default). Writes are idempotent per
/// (instance, day) and keep the report rollups exact in the same transaction; concurrent writers of
/// the same instances wait for each other instead of deadlocking, and a serialization failure or
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
            let folded = try await write("fold") {
                try await single(Int.self, "SELECT usage_fold_journal(\(PostgresJournal.foldBatch)::integer)")
            }
            total += folded
            // Fewer than asked may mean another collector folded some meanwhile: go on until none is left.
            if folded == 0 { return total }
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
        let wanted = pseudonymizer?.fingerprint ?? "none"
        try await connection.query("""
            INSERT INTO settings (name, value) VALUES ('pseudonymization', \(wanted)) ON CONFLICT (name) DO NOTHING
            """, logger: queryLogger)
        var stored = wanted
        for try await value in try await connection.query("SELECT value FROM settings WHERE name = 'pseudonymization'", logger: queryLogger).decode(String.self) {
            stored = value
        }
        guard stored == wanted else {
            switch (stored, wanted) {
            case ("none", _):
                throw StoreError("\(url) holds plain instance IDs; refusing to pseudonymise into it (use a new database)")
            case (_, "none"):
                throw StoreError("\(url) holds instance IDs pseudonymised with key \(stored); refusing to start without --pseudonymize-key-file")
            default:
                throw StoreError("\(url) holds instance IDs pseudonymised with key \(stored), but the key given is \(wanted); refusing to mix them")
            }
        }
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
        // Each instance's days in day order, as the SQLite store applies them.
        let days = days.sortedByInstanceAndDay()
        let ids = days.map { key($0.instanceID) }
        let dayNumbers = days.map(\.day.daysSinceEpoch)
        let regions = days.map { $0.region?.code ?? "" }
        let firsts = days.map(\.firstSeenMilliseconds)
        let lasts = days.map(\.lastSeenMilliseconds)
        let counts = days.map(\.pings)
        // The journal's pings first: a merge keeps the larger count, so the order matters.
        try await foldJournal()
        let summary = try await write("merge") {
            try await single([Int].self, """
                SELECT usage_merge(\(ids)::text[], \(dayNumbers)::integer[], \(regions)::text[],
                                   \(firsts)::bigint[], \(lasts)::bigint[], \(counts)::integer[])
                """)
        }
        guard summary.count == 3 else { throw StoreError("PostgreSQL merge returned \(summary)") }
        return MergeSummary(inserted: summary[0], updated: summary[1], unchanged: summary[2])
    }

    /// Deletes the instance's rows in one transaction. The rows are gone for every reader at once;
    /// PostgreSQL reclaims their bytes in the table files and its write-ahead log later (autovacuum,
    /// WAL recycling): run `VACUUM instance_days, instances` to hasten it.
    public func forget(_ instanceID: InstanceID) async throws -> Int {
        let id = key(instanceID)
        try await foldJournal()
        return try await write("forget") {
            try await single(Int.self, "SELECT usage_forget(\(id))")
        }
    }

    /// Purges in transactions of at most ``purgeChunk`` instances each (in instance-ID order), so
    /// pings keep flowing meanwhile; each transaction is exact on its own.
    public func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary {
        let cutoff = today.advanced(by: -days)
        try await foldJournal()
        var dayRows = 0
        var instances = 0
        var after = ""
        while true {
            let chunk = try await write("purge") { () -> (Int, Int, String?) in
                let rows = try await client.rows("""
                    SELECT day_rows, instances_removed, last_id FROM usage_purge(\(cutoff.daysSinceEpoch)::integer, \(after), \(Self.purgeChunk)::integer)
                    """, logger: queryLogger)
                return try rows.first?.decode((Int, Int, String?).self) ?? (0, 0, nil)
            }
            dayRows += chunk.0
            instances += chunk.1
            guard let last = chunk.2 else { break }
            after = last
        }
        return PurgeSummary(cutoff: cutoff, dayRows: dayRows, instances: instances)
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

    /// Recomputes every rollup from the rows (tests compare it with the rollups kept per write).
    public func rebuildRollups() async throws {
        try await foldJournal()
        try await write("rebuild rollups") { _ = try await client.rows("SELECT usage_rebuild_rollups()", logger: queryLogger) }
    }

    // MARK: Reads

    /// Runs `body` in one read-only snapshot, so every query of a report sees the same data.
    /// Folds the journal first, so the snapshot holds every ping acknowledged before the call.
    func read<T: Sendable>(_ body: (PostgresReads) async throws -> T) async throws -> T {
        try await foldJournal()
        do {
            return try await client.withConnection { connection in
                let reads = PostgresReads(connection: connection, logger: queryLogger)
                _ = try await connection.rows("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: queryLogger)
                do {
                    let result = try await body(reads)
                    _ = try await connection.rows("COMMIT", logger: queryLogger)
                    return result
                } catch {
                    _ = try? await connection.rows("ROLLBACK", logger: queryLogger)
                    throw error
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("PostgreSQL read failed: \(PostgresErrors.describe(error))")
        }
    }

    public func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        let scope = region?.code ?? "*"
        return try await read { db in
            guard let (start, end) = try await db.range(scope: scope, from: from, to: to) else { return [] }
            var actives: [Int: Int] = [:]
            var pings: [Int: Int] = [:]
            for (day, active, count) in try await db.rows((Int, Int, Int).self, """
                SELECT day, active, pings FROM daily_rollup WHERE scope = \(scope) AND day BETWEEN \(start.daysSinceEpoch) AND \(end.daysSinceEpoch)
                """) {
                actives[day] = active
                pings[day] = count
            }
            if window > 1 {
                actives = try await db.windowActives(window: window, scope: scope, from: start, to: end)
            }
            let new = try await db.firstDays(region: region, from: start, to: end)
            return (start...end).map { day in
                let key = day.daysSinceEpoch
                return DailyActivity(day: day, active: actives[key] ?? 0, new: new[key] ?? 0, pings: pings[key] ?? 0)
            }
        }
    }

    public func newInstances(from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await read { db in
            guard let (start, end) = try await db.range(scope: region?.code ?? "*", from: from, to: to) else { return [] }
            let new = try await db.firstDays(region: region, from: start, to: end)
            return (start...end).map { DayCount(day: $0, count: new[$0.daysSinceEpoch] ?? 0) }
        }
    }

    public func churned(after: Int, from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await read { db in
            // "Not since" is known only up to the last day anything was stored.
            guard let (first, last) = try await db.range(scope: "*", from: nil, to: nil) else { return [] }
            let start = from ?? first.advanced(by: after)
            let end = min(to ?? last, last)
            guard start <= end else { return [] }
            let low = start.daysSinceEpoch - after
            let high = end.daysSinceEpoch - after
            let rows = if let region {
                try await db.rows((Int, Int).self, """
                    SELECT last_day, count(*) FROM instances WHERE last_day BETWEEN \(low) AND \(high) AND region = \(region.code) GROUP BY last_day
                    """)
            } else {
                try await db.rows((Int, Int).self, "SELECT last_day, count(*) FROM instances WHERE last_day BETWEEN \(low) AND \(high) GROUP BY last_day")
            }
            let counts = Dictionary(uniqueKeysWithValues: rows.map { ($0.0 + after, $0.1) })
            return (start...end).map { DayCount(day: $0, count: counts[$0.daysSinceEpoch] ?? 0) }
        }
    }

    public func regions(from: UTCDay?, to: UTCDay?) async throws -> RegionsReport {
        try await read { db in
            guard let (start, end) = try await db.range(scope: "*", from: from, to: to) else {
                return RegionsReport(from: from, to: to, regions: [])
            }
            let (low, high) = (start.daysSinceEpoch, end.daysSinceEpoch)
            let activeScopes = try await db.rows(String.self, "SELECT DISTINCT scope FROM daily_rollup WHERE scope <> '*' AND active > 0")
            let pings = Dictionary(uniqueKeysWithValues: try await db.rows((String, Int).self, """
                SELECT scope, sum(pings)::bigint FROM daily_rollup WHERE scope <> '*' AND day BETWEEN \(low) AND \(high) GROUP BY scope
                """))
            let new = Dictionary(uniqueKeysWithValues: try await db.rows((String, Int).self, """
                SELECT coalesce(region, 'unknown'), count(*) FROM instances WHERE first_day BETWEEN \(low) AND \(high) GROUP BY 1
                """))
            let daily = Dictionary(uniqueKeysWithValues: try await db.rows((String, Int).self, """
                SELECT scope, active FROM daily_rollup WHERE scope <> '*' AND day = \(high)
                """))
            // Every region's 7- and 28-day actives on the last day, in one query.
            var windows: [Int: [String: Int]] = [:]
            for (window, scope, active) in try await db.rows((Int, String, Int).self, """
                SELECT "window", scope, sum(delta)::bigint FROM window_delta WHERE scope <> '*' AND day <= \(high) GROUP BY 1, 2
                """) {
                windows[window, default: [:]][scope] = active
            }
            var rows: [RegionActivity] = []
            // The scopes with a day row, and the latest regions of the instances new in the range,
            // which may have none (a day keeps the first region named for it, the instance the latest).
            for scope in Set(activeScopes).union(new.keys) {
                let row = RegionActivity(
                    region: scope, active1d: daily[scope] ?? 0, active7d: windows[7]?[scope] ?? 0,
                    active28d: windows[28]?[scope] ?? 0, new: new[scope] ?? 0, pings: pings[scope] ?? 0
                )
                if row.active28d > 0 || row.new > 0 || row.pings > 0 { rows.append(row) }
            }
            rows.sort { ($0.active28d, $1.region) > ($1.active28d, $0.region) }
            return RegionsReport(from: start, to: end, regions: rows)
        }
    }

    public func retention(from: UTCDay?, to: UTCDay?) async throws -> [RetentionCohort] {
        try await read { db in
            guard let (first, last) = try await db.range(scope: "*", from: nil, to: nil) else { return [] }
            let start = (from ?? first).startOfWeek
            let end = (to ?? last).startOfWeek
            let lastWeek = last.startOfWeek
            guard start <= end else { return [] }
            var cells: [Int: [Int: Int]] = [:]
            for (cohort, week, instances) in try await db.rows((Int, Int, Int).self, """
                SELECT cohort, week, instances FROM retention_weeks
                WHERE cohort BETWEEN \(start.daysSinceEpoch) AND \(end.daysSinceEpoch) AND instances > 0
                """) {
                cells[cohort, default: [:]][week] = instances
            }
            return stride(from: start, through: end, by: 7).compactMap { cohort in
                guard let weeks = cells[cohort.daysSinceEpoch], let size = weeks[cohort.daysSinceEpoch] else { return nil }
                let active = stride(from: cohort, through: lastWeek, by: 7).map { weeks[$0.daysSinceEpoch] ?? 0 }
                return RetentionCohort(week: cohort, instances: size, active: active)
            }
        }
    }

    public func daysSeen(from: UTCDay?, to: UTCDay?) async throws -> [DaysSeenCounts] {
        try await read { db in
            guard let (start, end) = try await db.range(scope: "*", from: from, to: to) else { return [] }
            // What came before the range, summed, as if on the day before it; then the range.
            let (low, high) = (start.daysSinceEpoch, end.daysSinceEpoch)
            let rows = try await db.rows((Int, Int, Int).self, """
                SELECT seen, \(low) - 1, sum(delta)::bigint FROM days_seen_delta WHERE day < \(low) GROUP BY seen
                UNION ALL SELECT seen, day, delta::bigint FROM days_seen_delta WHERE day BETWEEN \(low) AND \(high)
                ORDER BY 2
                """).map { (seen: $0.0, day: $0.1, delta: $0.2) }
            return DaysSeenCounts.prefixSums(rows, from: start, to: end)
        }
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

/// The queries of one read snapshot.
struct PostgresReads {
    let connection: PostgresConnection
    let logger: Logger

    /// Every row of `query`, decoded as `type` (a column type or a tuple of them).
    func rows<each Column: PostgresDecodable>(_ type: (repeat each Column).Type, _ query: PostgresQuery) async throws -> [(repeat each Column)] {
        var result: [(repeat each Column)] = []
        for row in try await connection.rows(query, logger: logger) {
            result.append(try row.decode((repeat each Column).self))
        }
        return result
    }

    /// The requested range, defaulting to the first and last day with activity in `scope`;
    /// `nil` when nothing is stored (and no range was given).
    func range(scope: String, from: UTCDay?, to: UTCDay?) async throws -> (UTCDay, UTCDay)? {
        if let from, let to { return from <= to ? (from, to) : nil }
        guard let (first, last) = try await rows((Int?, Int?).self, """
            SELECT min(day), max(day) FROM daily_rollup WHERE scope = \(scope) AND active > 0
            """).first, let first, let last else { return nil }
        let start = from ?? UTCDay(daysSinceEpoch: first)
        let end = to ?? UTCDay(daysSinceEpoch: last)
        return start <= end ? (start, end) : nil
    }

    /// Distinct instances over the trailing window ending on each day: prefix sums of the deltas.
    func windowActives(window: Int, scope: String, from: UTCDay, to: UTCDay) async throws -> [Int: Int] {
        var running = try await rows(Int.self, """
            SELECT coalesce(sum(delta), 0)::bigint FROM window_delta WHERE "window" = \(window) AND scope = \(scope) AND day < \(from.daysSinceEpoch)
            """).first ?? 0
        let deltas = Dictionary(uniqueKeysWithValues: try await rows((Int, Int).self, """
            SELECT day, delta FROM window_delta
            WHERE "window" = \(window) AND scope = \(scope) AND day BETWEEN \(from.daysSinceEpoch) AND \(to.daysSinceEpoch)
            """))
        var result: [Int: Int] = [:]
        for day in from.daysSinceEpoch...to.daysSinceEpoch {
            running += deltas[day] ?? 0
            result[day] = running
        }
        return result
    }

    /// Instances per first day in the range; with `region`, those whose latest region it is.
    func firstDays(region: Region?, from: UTCDay, to: UTCDay) async throws -> [Int: Int] {
        let (low, high) = (from.daysSinceEpoch, to.daysSinceEpoch)
        let rows = if let region {
            try await rows((Int, Int).self, """
                SELECT first_day, count(*) FROM instances WHERE first_day BETWEEN \(low) AND \(high) AND region = \(region.code) GROUP BY first_day
                """)
        } else {
            try await rows((Int, Int).self, "SELECT first_day, count(*) FROM instances WHERE first_day BETWEEN \(low) AND \(high) GROUP BY first_day")
        }
        return Dictionary(uniqueKeysWithValues: rows)
    }
}
