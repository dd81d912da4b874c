import Foundation
import GRDB
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import UsageTrackingCore

/// The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a committed
/// transaction survives a killed process and a power cut.
///
/// Pings are acknowledged once appended to a journal; ``JournalFolder`` (in ``services``) folds the
/// journal into the day rows and rollups behind the acknowledgement, and every read and every
/// other write folds what is left first (``SQLiteJournal``).
public final class SQLiteUsageStore: UsageStore {
    let pool: DatabasePool
    /// The ping journal, a file of its own beside the database (``SQLiteJournal``).
    let journal: DatabasePool
    /// Which instances have a ping stored on recent days, for `first_today`.
    let seen = SeenDays()
    /// Journal entries not yet folded, as this process knows them.
    let unfolded = Atomic<Int>(0)
    let unfoldedGauge = Gauge(label: "usage_journal_unfolded_pings")
    /// WAL pages between automatic checkpoints.
    static let walCheckpointPages = 8192
    /// Bytes the WAL file is cut back to after a checkpoint.
    static let walSizeLimit = 64 << 20
    let pseudonymizer: Pseudonymizer?
    let logger: Logger
    /// Time between the journal folder's folds.
    let foldInterval: Duration

    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// With a `pseudonymizer`, instance IDs are stored as keyed hashes. A database remembers how it
    /// was written: opening it with a different key, or with and without one, is refused.
    ///
    /// `foldInterval` is the time between folds of the ping journal by ``services``.
    public init(path: String, pseudonymizer: Pseudonymizer? = nil, foldInterval: Duration = .milliseconds(250), logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Deleted rows are overwritten with zeros, so erased IDs leave no trace in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // 64 MiB of page cache: large transactions (imports) do not spill to the log early.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        self.pseudonymizer = pseudonymizer
        self.foldInterval = foldInterval
        let journalPath = SQLiteJournal.path(besides: path)
        // Both files are checked before either is opened: a refused file is left as it was.
        try SQLiteFileCheck.check(path)
        try SQLiteFileCheck.check(journalPath, role: "ping journal")
        do {
            self.pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB opens WAL pools with synchronous=NORMAL, which can lose the last commits on a
            // power cut. FULL fsyncs the WAL at every commit; the pool has one writer connection.
            // The WAL is copied into the database (and the database fsynced, inside a commit) every
            // 8,192 pages (32 MiB) instead of SQLite's 1,000: fewer, larger checkpoints, a page
            // changed by many commits copied once. Ingest: +15-30 % (BENCHMARKS.md). A transaction
            // larger than that (an import batch) grows the file; it is cut back to 64 MiB after
            // the next checkpoint.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walCheckpointPages)")
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            }
            try SQLiteMigrations.migrator.migrate(pool)
        } catch {
            throw StoreError("cannot open the SQLite database at \(path): \(error)")
        }
        do {
            journal = try DatabasePool(path: journalPath, configuration: configuration)
            try journal.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            }
            try SQLiteJournal.migrator.migrate(journal)
        } catch {
            throw StoreError("cannot open the ping journal of \(path) at \(journalPath): \(error)")
        }
        self.logger = logger
        try checkPseudonymization(path: path)
        try finishInterruptedBulkLoad()
        // Entries a fold applied before a kill, and a journal file that restarted, are set right.
        let watermark = try pool.read { db in try SQLiteJournal.watermark(db) }
        let length = try journal.write { db in
            try SQLiteJournal.deleteApplied(db, through: watermark)
            return try SQLiteJournal.length(db, after: watermark)
        }
        journalChanged(by: length)
    }

    /// The journal folder, run while the store is used.
    public var services: [any Service] {
        [JournalFolder(interval: foldInterval, logger: logger, pending: { [self] in self.unfoldedPings }, fold: { [self] in try await self.foldJournal() })]
    }

    func journalChanged(by count: Int) {
        let length = unfolded.add(count, ordering: .relaxed).newValue
        unfoldedGauge.record(length)
    }

    /// Journal entries acknowledged and not yet folded into the day rows and rollups.
    public var unfoldedPings: Int { unfolded.load(ordering: .relaxed) }

    /// Folds every journal entry into the day rows and rollups, in batches of at most
    /// `SQLiteJournal.foldBatch`, each its own transaction; returns how many were folded.
    @discardableResult
    public func foldJournal() async throws -> Int {
        try await foldJournal(limit: SQLiteJournal.foldBatch)
    }

    /// ``foldJournal()`` in batches of `limit` entries.
    func foldJournal(limit: Int) async throws -> Int {
        var total = 0
        while true {
            let watermark = try await pool.read { db in try SQLiteJournal.watermark(db) }
            let entries = try await journal.read { db in try SQLiteJournal.entries(db, after: watermark, limit: limit) }
            guard !entries.isEmpty else { return total }
            let (applied, count) = try await pool.write { db in try SQLiteJournal.apply(db, entries) }
            if count > 0 { journalChanged(by: -count) }
            total += count
            try await journal.write { db in try SQLiteJournal.deleteApplied(db, through: applied) }
            if entries.count < limit { return total }
        }
    }

    /// The stored form of an instance ID: itself, or its pseudonym.
    func key(_ instanceID: InstanceID) -> String {
        pseudonymizer?.pseudonym(for: instanceID) ?? instanceID.rawValue
    }

    /// Records, on first use, whether and with which key IDs are pseudonymised; refuses a change.
    func checkPseudonymization(path: String) throws {
        let wanted = pseudonymizer?.fingerprint ?? "none"
        let stored: String = try pool.write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'pseudonymization'") {
                return value
            }
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('pseudonymization', ?)", arguments: [wanted])
            return wanted
        }
        guard stored == wanted else {
            switch (stored, wanted) {
            case ("none", _):
                throw StoreError("\(path) holds plain instance IDs; refusing to pseudonymise into it (use a new database)")
            case (_, "none"):
                throw StoreError("\(path) holds instance IDs pseudonymised with key \(stored); refusing to start without --pseudonymize-key-file")
            default:
                throw StoreError("\(path) holds instance IDs pseudonymised with key \(stored), but the key given is \(wanted); refusing to mix them")
            }
        }
    }

    // MARK: Writes

    /// Appends the pings to the journal in one transaction; `first_today` comes from ``SeenDays``.
    public func record(_ pings: [Ping]) async throws -> [RecordOutcome] {
        guard !pings.isEmpty else { return [] }
        let rows = pings.map { ping in
            SQLiteDayWriter.DayRow(
                instance: key(ping.instanceID), day: ping.day.daysSinceEpoch, region: ping.region?.code,
                firstSeen: ping.receivedAtMilliseconds, lastSeen: ping.receivedAtMilliseconds, pings: 1
            )
        }
        do {
            let outcomes = try await journal.write { db in
                let batchDays = Set(rows.map(\.day))
                for day in batchDays where !self.seen.isLoaded(day) {
                    // The journal first, then the day rows: an entry folded in between is in the rows.
                    let journaled = try SQLiteJournal.instances(onDay: day, db)
                    let folded = try self.pool.read { main in try SQLiteJournal.foldedInstances(onDay: day, main) }
                    self.seen.load(day, keys: journaled + folded, keeping: batchDays)
                }
                try SQLiteJournal.append(db, rows)
                let outcomes = rows.map { RecordOutcome(firstToday: !self.seen.contains($0.instance, on: $0.day)) }
                // Within the batch too: a second ping of the same instance and day is not the first.
                self.seen.insert(rows.map { ($0.instance, $0.day) })
                var firstInBatch = Set<String>()
                return zip(rows, outcomes).map { row, outcome in
                    RecordOutcome(firstToday: outcome.firstToday && firstInBatch.insert("\(row.day) \(row.instance)").inserted)
                }
            }
            journalChanged(by: rows.count)
            return outcomes
        } catch {
            // The commit may have failed after the days were noted: load them again when needed.
            seen.clear()
            throw error
        }
    }

    public func merge(_ days: [DayAggregate]) async throws -> MergeSummary {
        try await merge(days, maintainingRollups: true)
    }

    func merge(_ days: [DayAggregate], maintainingRollups: Bool) async throws -> MergeSummary {
        guard !days.isEmpty else { return MergeSummary() }
        // In key order, so consecutive writes touch the same B-tree pages and each instance's
        // summary is written once.
        let rows = days.map { aggregate in
            SQLiteDayWriter.DayRow(
                instance: key(aggregate.instanceID), day: aggregate.day.daysSinceEpoch, region: aggregate.region?.code,
                firstSeen: aggregate.firstSeenMilliseconds, lastSeen: aggregate.lastSeenMilliseconds, pings: aggregate.pings
            )
        }
        .sortedInKeyOrder()
        // The journal's pings first: a merge keeps the larger count, so the order matters.
        try await foldJournal()
        return try await pool.write { db in
            defer { self.seen.insert(rows.map { ($0.instance, $0.day) }) }
            if !maintainingRollups {
                // Every batch written without the rollups marks them stale in its own transaction:
                // if another process finished the load's rollups meanwhile (it opened the file
                // and took the load for a crashed one), the mark is back, and the end of this
                // load, or the next open after a crash, rebuilds them.
                try db.execute(sql: Self.markRollupsStale)
            }
            var writer = try SQLiteDayWriter(db, maintainsRollups: maintainingRollups)
            var summary = MergeSummary()
            var start = rows.startIndex
            while start < rows.endIndex {
                var end = start + 1
                while end < rows.endIndex, rows[end].instance == rows[start].instance { end += 1 }
                for (outcome, _) in try writer.write(instanceRows: rows[start..<end], .merge) {
                    switch outcome {
                    case .inserted: summary.inserted += 1
                    case .updated: summary.updated += 1
                    case .unchanged: summary.unchanged += 1
                    }
                }
                start = end
            }
            try writer.finish()
            return summary
        }
    }

    /// Loads many batches, each one durable transaction. Into an empty store, the rollups are not
    /// kept and the secondary indexes are dropped while `load` merges its batches, then both are
    /// built once from all rows, also when `load` throws (a load cut off by a crash is finished,
    /// indexes and triggers back and rollups rebuilt, the next time the store opens).
    /// Into a store that holds rows, the rollups are kept as the batches go (`merge`): the cost
    /// then grows with the load, not with the store, and reports stay right throughout.
    public func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeSummary) async throws -> Void) async throws {
        try await foldJournal()
        let holdsRows = try await pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM instance_days)") ?? false }
        if holdsRows {
            try await load { batch in try await self.merge(batch) }
            return
        }
        try await pool.write { db in
            try db.execute(sql: SQLiteRollups.dropTriggers)
            for index in Self.secondaryIndexes {
                try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
            }
            try db.execute(sql: Self.markRollupsStale)
        }
        do {
            try await load { batch in try await self.merge(batch, maintainingRollups: false) }
        } catch {
            // The batches merged so far stay (each one committed); indexes and rollups are made
            // whole for them before the error goes up.
            do {
                try await finishBulkLoad()
            } catch let finishing {
                logger.error("could not finish the interrupted bulk load; the next start will", metadata: ["error": "\(finishing)"])
            }
            throw error
        }
        try await finishBulkLoad()
    }

    /// Marks the rollups stale until a bulk load is finished (see `finishInterruptedBulkLoad`).
    static let markRollupsStale = "INSERT INTO settings (name, value) VALUES ('rollups', 'stale') ON CONFLICT (name) DO UPDATE SET value = 'stale'"

    /// Recreates the triggers and rebuilds the rollups if a bulk load left them off.
    func finishInterruptedBulkLoad() throws {
        let stale = try pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'rollups'") == "stale"
        }
        if stale {
            logger.warning("an interrupted bulk load left the report rollups stale; rebuilding them")
            try pool.write { db in try Self.finishBulkLoad(db) }
        }
    }

    /// Finishes a bulk load, also from a cancelled task (whose own database access GRDB would
    /// refuse): a load cut off by cancellation still leaves indexes and rollups whole.
    func finishBulkLoad() async throws {
        try await Task { try await self.pool.write { db in try Self.finishBulkLoad(db) } }.value
    }

    /// The secondary indexes, as migrations 001 and 003 created them. A bulk load into an empty
    /// store drops them, so each row goes into one B-tree, and builds them once after the load.
    /// (SQLite stores `CREATE INDEX IF NOT EXISTS x` as `CREATE INDEX x`: the schema comes back
    /// the same text.)
    static let secondaryIndexes: [(name: String, columns: String)] = [
        ("instance_days_by_day", "instance_days (day, instance_id)"),
        ("instances_by_first_day", "instances (first_day)"),
        ("instances_by_last_day", "instances (last_day)"),
    ]

    /// Builds the secondary indexes a bulk load dropped, and the rollups it did not keep.
    static func finishBulkLoad(_ db: Database) throws {
        for index in secondaryIndexes {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.columns)")
        }
        try db.execute(sql: SQLiteRollups.dropTriggers)
        try db.execute(sql: SQLiteRollups.triggers)
        try SQLiteRollups.rebuild(db)
        try db.execute(sql: "DELETE FROM settings WHERE name = 'rollups'")
    }

    // MARK: Reads

    public func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        try await foldJournal()
        let scope = region?.code ?? "*"
        return try await pool.read { db in
            guard let (start, end) = try Self.range(db, scope: scope, from: from, to: to) else { return [] }
            var actives: [Int: Int] = [:]
            var pings: [Int: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT day, active, pings FROM daily_rollup WHERE scope = ? AND day BETWEEN ? AND ?", arguments: [scope, start.daysSinceEpoch, end.daysSinceEpoch]) {
                pings[row["day"]] = row["pings"]
                actives[row["day"]] = row["active"]
            }
            if window > 1 {
                actives = try Self.windowActives(db, window: window, scope: scope, from: start, to: end)
            }
            let new = try Self.firstDays(db, region: region, from: start, to: end)
            return (start...end).map { day in
                let key = day.daysSinceEpoch
                return DailyActivity(day: day, active: actives[key] ?? 0, new: new[key] ?? 0, pings: pings[key] ?? 0)
            }
        }
    }

    public func newInstances(from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await foldJournal()
        return try await pool.read { db in
            guard let (start, end) = try Self.range(db, scope: region?.code ?? "*", from: from, to: to) else { return [] }
            let new = try Self.firstDays(db, region: region, from: start, to: end)
            return (start...end).map { DayCount(day: $0, count: new[$0.daysSinceEpoch] ?? 0) }
        }
    }

    public func churned(after: Int, from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await foldJournal()
        return try await pool.read { db in
            // "Not since" is known only up to the last day anything was stored.
            guard let (first, last) = try Self.range(db, scope: "*", from: nil, to: nil) else { return [] }
            let start = from ?? first.advanced(by: after)
            let end = min(to ?? last, last)
            guard start <= end else { return [] }
            let regionClause = region == nil ? "" : "AND region = :region"
            var counts: [Int: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT last_day, count(*) AS n FROM instances
                WHERE last_day BETWEEN :start AND :end \(regionClause) GROUP BY last_day
                """, arguments: ["start": start.daysSinceEpoch - after, "end": end.daysSinceEpoch - after, "region": region?.code]) {
                counts[(row["last_day"] as Int) + after] = row["n"]
            }
            return (start...end).map { DayCount(day: $0, count: counts[$0.daysSinceEpoch] ?? 0) }
        }
    }

    public func regions(from: UTCDay?, to: UTCDay?) async throws -> RegionsReport {
        try await foldJournal()
        return try await pool.read { db in
            guard let (start, end) = try Self.range(db, scope: "*", from: from, to: to) else {
                return RegionsReport(from: from, to: to, regions: [])
            }
            let scopes = try String.fetchAll(db, sql: "SELECT DISTINCT scope FROM daily_rollup WHERE scope != '*' AND (active > 0 OR new > 0)")
            let arguments: StatementArguments = [start.daysSinceEpoch, end.daysSinceEpoch]
            var pings: [String: Int] = [:]
            var new: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT scope, sum(pings) AS pings, sum(new) AS new FROM daily_rollup
                WHERE scope != '*' AND day BETWEEN ? AND ? GROUP BY scope
                """, arguments: arguments) {
                pings[row["scope"]] = row["pings"]
                new[row["scope"]] = row["new"]
            }
            let daily = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: """
                SELECT scope, active FROM daily_rollup WHERE scope != '*' AND day = ?
                """, arguments: [end.daysSinceEpoch]).map { ($0["scope"] as String, $0["active"] as Int) })
            var rows: [RegionActivity] = []
            for scope in scopes {
                let week = try Self.windowActives(db, window: 7, scope: scope, from: end, to: end)[end.daysSinceEpoch] ?? 0
                let month = try Self.windowActives(db, window: 28, scope: scope, from: end, to: end)[end.daysSinceEpoch] ?? 0
                let row = RegionActivity(region: scope, active1d: daily[scope] ?? 0, active7d: week, active28d: month, new: new[scope] ?? 0, pings: pings[scope] ?? 0)
                if row.active28d > 0 || row.new > 0 || row.pings > 0 { rows.append(row) }
            }
            rows.sort { ($0.active28d, $1.region) > ($1.active28d, $0.region) }
            return RegionsReport(from: start, to: end, regions: rows)
        }
    }

    public func retention(from: UTCDay?, to: UTCDay?) async throws -> [RetentionCohort] {
        try await foldJournal()
        return try await pool.read { db in
            guard let (first, last) = try Self.range(db, scope: "*", from: nil, to: nil) else { return [] }
            let start = (from ?? first).startOfWeek
            let end = (to ?? last).startOfWeek
            let lastWeek = last.startOfWeek
            guard start <= end else { return [] }
            var cells: [Int: [Int: Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT cohort, week, instances FROM retention_weeks
                WHERE cohort BETWEEN ? AND ? AND instances > 0
                """, arguments: [start.daysSinceEpoch, end.daysSinceEpoch]) {
                cells[row["cohort"], default: [:]][row["week"]] = row["instances"]
            }
            return stride(from: start, through: end, by: 7).compactMap { cohort in
                guard let weeks = cells[cohort.daysSinceEpoch], let size = weeks[cohort.daysSinceEpoch] else { return nil }
                let active = stride(from: cohort, through: lastWeek, by: 7).map { weeks[$0.daysSinceEpoch] ?? 0 }
                return RetentionCohort(week: cohort, instances: size, active: active)
            }
        }
    }

    public func daysSeen(from: UTCDay?, to: UTCDay?) async throws -> [DaysSeenCounts] {
        try await foldJournal()
        return try await pool.read { db in
            guard let (start, end) = try Self.range(db, scope: "*", from: from, to: to) else { return [] }
            // What came before the range, summed, as if on the day before it; then the range.
            let (low, high) = (start.daysSinceEpoch, end.daysSinceEpoch)
            let rows = try Row.fetchAll(db, sql: """
                SELECT seen, ? - 1 AS day, sum(delta) FROM days_seen_delta WHERE day < ? GROUP BY seen
                UNION ALL SELECT seen, day, delta FROM days_seen_delta WHERE day BETWEEN ? AND ?
                ORDER BY 2
                """, arguments: [low, low, low, high]).map { (seen: $0[0] as Int, day: $0[1] as Int, delta: $0[2] as Int) }
            return DaysSeenCounts.prefixSums(rows, from: start, to: end)
        }
    }

    // MARK: Report helpers

    /// The requested range, defaulting to the first and last day with activity in `scope`;
    /// `nil` when nothing is stored (and no range was given).
    static func range(_ db: Database, scope: String, from: UTCDay?, to: UTCDay?) throws -> (UTCDay, UTCDay)? {
        if let from, let to { return from <= to ? (from, to) : nil }
        let bounds = try Row.fetchOne(db, sql: "SELECT min(day) AS first, max(day) AS last FROM daily_rollup WHERE scope = ? AND active > 0", arguments: [scope])
        guard let first: Int = bounds?["first"], let last: Int = bounds?["last"] else {
            return nil
        }
        let start = from ?? UTCDay(daysSinceEpoch: first)
        let end = to ?? UTCDay(daysSinceEpoch: last)
        return start <= end ? (start, end) : nil
    }

    /// Distinct instances over the trailing window ending on each day: prefix sums of the deltas.
    static func windowActives(_ db: Database, window: Int, scope: String, from: UTCDay, to: UTCDay) throws -> [Int: Int] {
        var running = try Int.fetchOne(db, sql: "SELECT coalesce(sum(delta), 0) FROM window_delta WHERE window = ? AND scope = ? AND day < ?", arguments: [window, scope, from.daysSinceEpoch]) ?? 0
        var deltas: [Int: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT day, delta FROM window_delta WHERE window = ? AND scope = ? AND day BETWEEN ? AND ?", arguments: [window, scope, from.daysSinceEpoch, to.daysSinceEpoch]) {
            deltas[row["day"]] = row["delta"]
        }
        var result: [Int: Int] = [:]
        for day in from.daysSinceEpoch...to.daysSinceEpoch {
            running += deltas[day] ?? 0
            result[day] = running
        }
        return result
    }

    /// Instances per first day in the range; with `region`, those whose latest region it is.
    static func firstDays(_ db: Database, region: Region?, from: UTCDay, to: UTCDay) throws -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT day, new FROM daily_rollup WHERE scope = ? AND day BETWEEN ? AND ? AND new != 0
            """, arguments: [region?.code ?? "*", from.daysSinceEpoch, to.daysSinceEpoch]) {
            counts[row["day"]] = row["new"]
        }
        return counts
    }

    /// Recomputes every rollup from the rows (after a bulk load; tests compare it with the
    /// rollups the triggers kept).
    public func rebuildRollups() async throws {
        try await foldJournal()
        try await pool.write { db in
            try SQLiteRollups.rebuild(db)
        }
    }

    public func instanceSummary(_ instanceID: InstanceID) async throws -> InstanceSummary? {
        try await foldJournal()
        let key = self.key(instanceID)
        return try await pool.read { db in
            guard let instance = try Row.fetchOne(db, sql: "SELECT first_day, last_day, region FROM instances WHERE instance_id = ?", arguments: [key]) else {
                return nil
            }
            let days = try Row.fetchAll(db, sql: """
                SELECT day, region, first_seen_ms, last_seen_ms, pings FROM instance_days
                WHERE instance_id = ? ORDER BY day
                """, arguments: [key]).map { row in
                InstanceSummary.Day(
                    day: UTCDay(daysSinceEpoch: row["day"]), region: row["region"],
                    firstSeenMilliseconds: row["first_seen_ms"], lastSeenMilliseconds: row["last_seen_ms"], pings: row["pings"]
                )
            }
            return InstanceSummary(
                instanceID: instanceID.rawValue, region: instance["region"],
                firstActiveDay: UTCDay(daysSinceEpoch: instance["first_day"]),
                lastActiveDay: UTCDay(daysSinceEpoch: instance["last_day"]), days: days
            )
        }
    }

    // MARK: Erasure and retention

    public func forget(_ instanceID: InstanceID) async throws -> Int {
        let key = self.key(instanceID)
        try await foldJournal()
        // Pings of it that arrived since the fold: erased before they are folded.
        try await journal.write { db in
            try db.execute(sql: "DELETE FROM ping_journal WHERE instance_id = ?", arguments: [key])
            self.seen.remove(key)
        }
        let removed = try await pool.write { db in
            // Its 28-day counts go (the other rollups follow the deletion by triggers).
            var changes = RollupChanges()
            let days = try Int.fetchAll(db, sql: "SELECT day FROM instance_days WHERE instance_id = ? ORDER BY day", arguments: [key])
            changes.daysSeen(DaysSeen.contribution(ofDays: days).map(\.negated))
            try changes.apply(db)
            try db.execute(sql: "DELETE FROM instance_days WHERE instance_id = ?", arguments: [key])
            var count = db.changesCount
            try db.execute(sql: "DELETE FROM instances WHERE instance_id = ?", arguments: [key])
            count += db.changesCount
            return count
        }
        try await scrubWriteAheadLog()
        return removed
    }

    public func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary {
        let cutoff = today.advanced(by: -days)
        try await foldJournal()
        let summary = try await pool.write { db in
            self.seen.clear()
            try Self.purgeDaysSeen(db, cutoff: cutoff.daysSinceEpoch)
            try db.execute(sql: "DELETE FROM instance_days WHERE day < ?", arguments: [cutoff.daysSinceEpoch])
            let dayRows = db.changesCount
            try db.execute(sql: "DELETE FROM instances WHERE first_day < ? AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = instances.instance_id)", arguments: [cutoff.daysSinceEpoch])
            let instances = db.changesCount
            try db.execute(sql: """
                UPDATE instances SET first_day = (SELECT min(day) FROM instance_days d WHERE d.instance_id = instances.instance_id)
                WHERE first_day < ?
                """, arguments: [cutoff.daysSinceEpoch])
            return PurgeSummary(cutoff: cutoff, dayRows: dayRows, instances: instances)
        }
        if summary.dayRows > 0 { try await scrubWriteAheadLog() }
        return summary
    }

    /// What removing every day before `cutoff` does to the 28-day counts (the other rollups follow
    /// the deletion by triggers): per instance with such days, the counts of days up to
    /// `cutoff` + 26 change, and depend only on its days up to then.
    static func purgeDaysSeen(_ db: Database, cutoff: Int) throws {
        var changes = RollupChanges()
        let clipEnd = cutoff + DaysSeen.window - 2
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.instance_id, d.day FROM instances i JOIN instance_days d ON d.instance_id = i.instance_id
            WHERE i.first_day < ? AND d.day <= ? ORDER BY d.instance_id, d.day
            """, arguments: [cutoff, clipEnd])
        var instance = ""
        var days: [Int] = []
        func instanceDone() {
            guard let first = days.first, first < cutoff else { return }
            let clip = first...clipEnd
            let kept = Array(days.drop { $0 < cutoff })
            changes.daysSeen(DaysSeen.contribution(ofDays: kept, clip: clip) + DaysSeen.contribution(ofDays: days, clip: clip).map(\.negated))
        }
        while let row = try rows.next() {
            let id: String = row[0]
            if id != instance {
                instanceDone()
                instance = id
                days.removeAll(keepingCapacity: true)
            }
            days.append(row[1])
        }
        instanceDone()
        try changes.apply(db)
    }

    /// Copies the write-ahead log into the database and truncates it to zero bytes, so page
    /// images from before a deletion do not linger in the -wal file.
    func scrubWriteAheadLog() async throws {
        for file in [pool, journal] {
            try await Self.truncateWriteAheadLog(of: file)
        }
    }

    static func truncateWriteAheadLog(of file: DatabasePool) async throws {
        for attempt in 1...50 {
            do {
                _ = try await file.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                // A reader still holds an old snapshot: let it finish.
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
        throw StoreError("could not truncate the write-ahead log of \(file.path): readers kept it busy")
    }

    /// The journal mode, `synchronous` level and WAL checkpoint settings in force, for diagnostics and tests.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int, walAutocheckpoint: Int, journalSizeLimit: Int) {
        try await pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1,
                try Int.fetchOne(db, sql: "PRAGMA journal_size_limit") ?? -1
            )
        }
    }

    /// A write, not only a read: a full disk or a file that cannot be written makes it throw, so the
    /// collector reports not ready exactly while it cannot store pings.
    public func checkReadiness() async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO settings (name, value) VALUES ('readiness_probe', ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, arguments: [String(Date().timeIntervalSince1970)])
        }
    }
}
