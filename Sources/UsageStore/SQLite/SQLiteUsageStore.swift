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
            // The entries are read inside the main file's write, so that an erasure (which deletes
            // an instance's entries under the same writer) never falls between reading and applying.
            let (applied, count, read) = try await pool.write { db in
                let watermark = try SQLiteJournal.watermark(db)
                let entries = try self.journal.read { journal in try SQLiteJournal.entries(journal, after: watermark, limit: limit) }
                let (applied, count) = try SQLiteJournal.apply(db, entries)
                return (applied, count, entries.count)
            }
            guard read > 0 else { return total }
            if count > 0 { journalChanged(by: -count) }
            total += count
            try await journal.write { db in try SQLiteJournal.deleteApplied(db, through: applied) }
            if read < limit { return total }
        }
    }

    /// The stored form of an instance ID: itself, or its pseudonym.
    func key(_ instanceID: InstanceID) -> String {
        pseudonymizer?.pseudonym(for: instanceID) ?? instanceID.rawValue
    }

    /// Records, on first use, whether and with which key IDs are pseudonymised; refuses a change.
    func checkPseudonymization(path: String) throws {
        let wanted = Pseudonymizer.setting(for: pseudonymizer)
        let stored: String = try pool.write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'pseudonymization'") {
                return value
            }
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('pseudonymization', ?)", arguments: [wanted])
            return wanted
        }
        try Pseudonymizer.check(stored: stored, wanted: wanted, database: "\(path)")
    }

    // MARK: Writes

    /// Appends the pings to the journal in one transaction; `first_today` comes from ``SeenDays``.
    public func record(_ pings: [Ping]) async throws -> [RecordOutcome] {
        guard !pings.isEmpty else { return [] }
        let rows = pings.map { ping in
            (key: key(ping.instanceID), ping: StoredDay(ping: ping.day.daysSinceEpoch, region: ping.region?.code, at: ping.receivedAtMilliseconds))
        }
        do {
            let outcomes = try await journal.write { db in
                let batchDays = Set(rows.map(\.ping.day))
                for day in batchDays where !self.seen.isLoaded(day) {
                    // The journal first, then the day rows: an entry folded in between is in the rows.
                    let journaled = try SQLiteJournal.instances(onDay: day, db)
                    let folded = try self.pool.read { main in try SQLiteJournal.foldedInstances(onDay: day, main) }
                    self.seen.load(day, keys: journaled + folded, keeping: batchDays)
                }
                try SQLiteJournal.append(db, rows)
                let outcomes = rows.map { RecordOutcome(firstToday: !self.seen.contains($0.key, on: $0.ping.day)) }
                // Within the batch too: a second ping of the same instance and day is not the first.
                self.seen.insert(rows.map { ($0.key, $0.ping.day) })
                var firstInBatch = Set<String>()
                return zip(rows, outcomes).map { row, outcome in
                    RecordOutcome(firstToday: outcome.firstToday && firstInBatch.insert("\(row.ping.day) \(row.key)").inserted)
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
        try await merge(days, droppingIndexes: false)
    }

    /// Merges the aggregates through the fold (``SQLiteRows/fold(_:)``), in key order, so consecutive
    /// writes touch the same B-tree pages; the rollups change for the touched days only.
    func merge(_ days: [DayAggregate], droppingIndexes: Bool) async throws -> MergeSummary {
        guard !days.isEmpty else { return MergeSummary() }
        let changes = InstanceChanges(merging: days, key: key)
        // The journal's pings first: a merge keeps the larger count, so the order matters.
        try await foldJournal()
        return try await pool.write { db in
            defer { self.seen.insert(changes.changes.flatMap { change in Self.days(of: change.change).map { (change.key, $0) } }) }
            if droppingIndexes {
                // Every batch of a load without the indexes marks them dropped in its own
                // transaction: if another process built them meanwhile (it opened the file and
                // took the load for a crashed one), the mark is back, and the end of this load, or
                // the next open after a crash, builds them.
                try db.execute(sql: Self.markIndexesDropped)
            }
            return try SQLiteRows(db).fold(changes)
        }
    }

    static func days(of change: InstanceChange) -> [Int] {
        switch change {
        case .pings(let days), .merge(let days): days.map(\.day)
        case .forget, .purge: []
        }
    }

    /// Loads many batches, each one durable transaction through the fold, so reports stay right
    /// throughout. Into an empty store, the secondary indexes are dropped while `load` merges its
    /// batches, then built once, also when `load` throws (a load cut off by a crash has them
    /// built the next time the store opens).
    public func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeSummary) async throws -> Void) async throws {
        try await foldJournal()
        let holdsRows = try await pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM instance_days)") ?? false }
        if holdsRows {
            try await load { batch in try await self.merge(batch) }
            return
        }
        try await pool.write { db in
            for index in Self.secondaryIndexes {
                try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
            }
            try db.execute(sql: Self.markIndexesDropped)
        }
        do {
            try await load { batch in try await self.merge(batch, droppingIndexes: true) }
        } catch {
            // The batches merged so far stay (each one committed); the indexes are built for
            // them before the error goes up.
            do {
                try await finishBulkLoad()
            } catch let finishing {
                logger.error("could not finish the interrupted bulk load; the next start will", metadata: ["error": "\(finishing)"])
            }
            throw error
        }
        try await finishBulkLoad()
    }

    /// Marks the secondary indexes dropped until a bulk load is finished (see `finishInterruptedBulkLoad`).
    static let markIndexesDropped = "INSERT INTO settings (name, value) VALUES ('indexes', 'dropped') ON CONFLICT (name) DO UPDATE SET value = 'dropped'"

    /// Builds the indexes a bulk load left dropped; and rebuilds the rollups that a bulk load of
    /// the previous release, which did not keep them, left stale.
    func finishInterruptedBulkLoad() throws {
        let marks = try pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM settings WHERE (name, value) IN (VALUES ('indexes', 'dropped'), ('rollups', 'stale'))")
        }
        if marks.contains("rollups") {
            logger.warning("an interrupted bulk load left the report rollups stale; rebuilding them")
            try pool.write { db in try SQLiteRows.rebuildRollups(db) }
        }
        if !marks.isEmpty {
            try pool.write { db in try Self.finishBulkLoad(db) }
        }
    }

    /// Finishes a bulk load, also from a cancelled task (whose own database access GRDB would
    /// refuse): a load cut off by cancellation still leaves its indexes whole.
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

    /// Builds the secondary indexes a bulk load dropped.
    static func finishBulkLoad(_ db: Database) throws {
        for index in secondaryIndexes {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.columns)")
        }
        try db.execute(sql: "DELETE FROM settings WHERE name IN ('indexes', 'rollups')")
    }

    // MARK: Reads

    public func readRollups<T: Sendable>(_ body: @Sendable (any RollupReader) async throws -> T) async throws -> T {
        try await foldJournal()
        return try await body(SQLiteRollupReader(snapshot: try pool.makeSnapshot()))
    }

    /// Recomputes every rollup from the rows (tests compare it with the rollups the folds kept).
    public func rebuildRollups() async throws {
        try await foldJournal()
        try await pool.write { db in
            try SQLiteRows.rebuildRollups(db)
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
        let removed = try await pool.write { db in
            // Pings of it that arrived since the fold go first, under the main file's writer,
            // which a fold holds from reading the journal to applying it: none comes back.
            let unfolded = try self.journal.write { journal in
                try journal.execute(sql: "DELETE FROM ping_journal WHERE instance_id = ?", arguments: [key])
                self.seen.remove(key)
                return journal.changesCount
            }
            if unfolded > 0 { self.journalChanged(by: -unfolded) }
            let rows = try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM instance_days WHERE instance_id = ?) + (SELECT count(*) FROM instances WHERE instance_id = ?)
                """, arguments: [key, key]) ?? 0
            try SQLiteRows(db).fold(InstanceChanges(.forget, of: [key]))
            return rows
        }
        try await scrubWriteAheadLog()
        return removed
    }

    public func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary {
        let cutoff = today.advanced(by: -days)
        try await foldJournal()
        let summary = try await pool.write { db in
            self.seen.clear()
            let dayRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM instance_days WHERE day < ?", arguments: [cutoff.daysSinceEpoch]) ?? 0
            let instancesBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM instances") ?? 0
            let keys = try String.fetchAll(db, sql: "SELECT instance_id FROM instances WHERE first_day < ?", arguments: [cutoff.daysSinceEpoch])
            try SQLiteRows(db).fold(InstanceChanges(.purge(before: cutoff.daysSinceEpoch), of: keys))
            let instancesAfter = try Int.fetchOne(db, sql: "SELECT count(*) FROM instances") ?? 0
            return PurgeSummary(cutoff: cutoff, dayRows: dayRows, instances: instancesBefore - instancesAfter)
        }
        if summary.dayRows > 0 { try await scrubWriteAheadLog() }
        return summary
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
