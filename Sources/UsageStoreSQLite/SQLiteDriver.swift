import Foundation
import GRDB
import Logging
import Metrics
import Synchronization
import UsageStore
import UsageTrackingCore

/// The embedded default database: one SQLite file in WAL mode with `synchronous=FULL`, so a
/// committed transaction survives a killed process and a power cut, and the ping journal, a file
/// of its own beside it (``SQLiteJournal``).
///
/// A write transaction of the main file spans several database accesses (``SQLiteTransaction``):
/// it begins `IMMEDIATE`, so SQLite's file lock keeps other processes out, and this process's
/// writers take turns on ``writerLock`` for the whole of it.
public final class SQLiteDriver: StoreDriver {
    /// Where the main file is.
    public let path: String
    let main: any DatabaseWriter
    /// The ping journal, a file of its own beside the main one.
    let journal: any DatabaseWriter
    /// Which instances have a ping stored on recent days, for `first_today`.
    let seen: FirstTodayCache
    /// Journal entries not yet folded, as this process knows them.
    let unfolded = Atomic<Int>(0)
    let unfoldedGauge = Gauge(label: "usage_journal_unfolded_pings")
    /// This process's writers of the main file, one transaction at a time.
    let writerLock = WriterLock()
    let logger: Logger

    /// WAL pages between automatic checkpoints.
    static let walCheckpointPages = 8192
    /// Bytes the WAL file is cut back to after a checkpoint.
    static let walSizeLimit = 64 << 20

    public var foldBatch: Int { SQLiteJournal.foldBatch }

    /// What every connection to a store's files needs: secure deletion, a large page cache, a
    /// busy timeout, and transactions that span several accesses (``SQLiteTransaction``). Give
    /// it to a `DatabasePool` or `DatabaseQueue` made for ``init(main:journal:path:logger:)``.
    public static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // Deleted rows are overwritten with zeros, so erased IDs leave no trace in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // 64 MiB of page cache: large transactions (imports) do not spill to the log early.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return configuration
    }

    /// Opens (creating if needed) the database at `path` and its journal at `path-pings`, after
    /// checking both files (a refused file is left as it was), and migrates them.
    public convenience init(path: String, logger: Logger) throws {
        let journalPath = SQLiteJournal.path(besides: path)
        try SQLiteFileCheck.check(path)
        try SQLiteFileCheck.check(journalPath, role: "ping journal")
        try SQLiteMigrations.refuseNewer(path)
        // Readable by the collector's user only (SQLite gives the -wal and -shm files the mode of
        // their database file): they hold instance IDs.
        try SQLiteFileCheck.createIfMissing(path)
        try SQLiteFileCheck.createIfMissing(journalPath)
        let main: DatabasePool
        let journal: DatabasePool
        do {
            main = try DatabasePool(path: path, configuration: Self.configuration())
            // GRDB opens WAL pools with synchronous=NORMAL, which can lose the last commits on a
            // power cut. FULL fsyncs the WAL at every commit; the pool has one writer connection.
            // The WAL is copied into the database (and the database fsynced, inside a commit) every
            // 8,192 pages (32 MiB) instead of SQLite's 1,000: fewer, larger checkpoints, a page
            // changed by many commits copied once (BENCHMARKS.md). A transaction larger than that
            // (an import batch) grows the file; it is cut back to 64 MiB after the next checkpoint.
            try main.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walCheckpointPages)")
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            }
        } catch {
            throw StoreError("cannot open the SQLite database at \(path): \(error)")
        }
        do {
            journal = try DatabasePool(path: journalPath, configuration: Self.configuration())
            try journal.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            }
        } catch {
            throw StoreError("cannot open the ping journal of \(path) at \(journalPath): \(error)")
        }
        try self.init(main: main, journal: journal, path: path, logger: logger)
    }

    /// A driver on databases the caller opened (with ``configuration()``), as GRDB's
    /// `AppDatabase` takes its writer: migrates both.
    public init(
        main: any DatabaseWriter, journal: any DatabaseWriter, path: String, logger: Logger,
        firstTodayBound: Int = FirstTodayCache.maximumKeysPerDay
    ) throws {
        guard main.configuration.allowsUnsafeTransactions else {
            throw StoreError("the SQLite database at \(path) was opened without SQLiteDriver.configuration(): its transactions span several accesses")
        }
        self.main = main
        self.journal = journal
        self.seen = FirstTodayCache(maximumKeysPerDay: firstTodayBound)
        self.path = path
        self.logger = logger
        do {
            try SQLiteMigrations.refuseNewer(main, path: path)
            try SQLiteMigrations.migrator.migrate(main)
            try main.write { db in
                try db.execute(sql: """
                    INSERT INTO settings (name, value) VALUES ('written_by', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                    """, arguments: [ReleaseVersion.current])
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot migrate the SQLite database at \(path): \(error)")
        }
        do {
            try SQLiteJournal.migrator.migrate(journal)
        } catch {
            throw StoreError("cannot migrate the ping journal of \(path): \(error)")
        }
    }

    /// Records, on first use, how instance IDs are stored (``Pseudonymizer/setting(for:)``) and
    /// refuses to go on with another setting, or a weak key for a new database.
    func checkPseudonymization(_ pseudonymizer: Pseudonymizer?) throws {
        try main.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'pseudonymization'")
            try Pseudonymizer.check(stored: stored, pseudonymizer: pseudonymizer, database: self.path)
            if stored == nil {
                try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('pseudonymization', ?)", arguments: [Pseudonymizer.setting(for: pseudonymizer)])
            }
        }
    }

    /// What a kill may have left: a bulk load's indexes dropped, the rollups of a previous
    /// release's bulk load stale, journal entries a fold applied before it could delete them.
    func recover() throws {
        let marks = try main.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM settings WHERE (name, value) IN (VALUES ('indexes', 'dropped'), ('rollups', 'stale'))")
        }
        if marks.contains("rollups") {
            logger.warning("an interrupted bulk load left the report rollups stale; rebuilding them")
            try main.write { db in try SQLiteTransaction.rebuildRollups(db) }
        }
        try main.write { db in
            let rules = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'rollup_rules'").flatMap { Int($0) } ?? 1
            guard rules < RollupContribution.rulesVersion else { return }
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM instance_days)") == true {
                self.logger.notice("the report rollups were kept under older rules; rebuilding them from the rows", metadata: [
                    "rollups.rules": "\(rules)", "rollups.rules_now": "\(RollupContribution.rulesVersion)",
                ])
                try SQLiteTransaction.rebuildRollups(db)
            }
            try db.execute(sql: """
                INSERT INTO settings (name, value) VALUES ('rollup_rules', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, arguments: [String(RollupContribution.rulesVersion)])
        }
        if !marks.isEmpty {
            try main.write { db in try SQLiteBulkLoad.finish(db) }
        }
        let watermark = try main.read { db in try SQLiteJournal.watermark(db) }
        let length = try journal.write { db in
            try SQLiteJournal.deleteApplied(db, through: watermark)
            return try SQLiteJournal.length(db, after: watermark)
        }
        journalChanged(by: length)
    }

    func journalChanged(by count: Int) {
        let length = unfolded.add(count, ordering: .relaxed).newValue
        unfoldedGauge.record(length)
    }

    public var unfoldedPings: Int? { unfolded.load(ordering: .relaxed) }

    // MARK: The journal

    /// Appends the pings to the journal in one transaction; `first_today` comes from
    /// ``FirstTodayCache``, or, for a day with too many instances to hold, from the journal and
    /// the day rows themselves.
    public func append(_ rows: [(key: String, ping: StoredDay)]) async throws -> [Bool] {
        let bound = seen.maximumKeysPerDay
        do {
            let firstToday = try await journal.write { db in
                let batchDays = Set(rows.map(\.ping.day))
                for day in batchDays where !self.seen.isLoaded(day) {
                    // The journal first, then the day rows: an entry folded in between is in the rows.
                    var hashes = Set<Int>()
                    let held = try SQLiteJournal.addKeyHashes(onDay: day, of: .journal, db, to: &hashes, limit: bound)
                        && self.main.read { main in try SQLiteJournal.addKeyHashes(onDay: day, of: .dayRows, main, to: &hashes, limit: bound) }
                    self.seen.load(day, keyHashes: held ? hashes : nil, keeping: batchDays)
                }
                // Before this batch's own entries are in the journal. A day with too many instances
                // to hold: its journal's keys read once for the batch (the journal is short, folded
                // every few hundred milliseconds), then the day rows by their primary key, in one
                // read for the batch; the journal first, so an entry folded in between is in the rows.
                var seenBefore = rows.map { self.seen.contains($0.key, on: $0.ping.day) }
                let unheld = seenBefore.indices.filter { seenBefore[$0] == nil }
                if !unheld.isEmpty {
                    var journaledOn: [Int: Set<String>] = [:]
                    for day in Set(unheld.map { rows[$0].ping.day }) {
                        journaledOn[day] = Set(try SQLiteJournal.instances(onDay: day, db, limit: Int.max))
                    }
                    let unjournaled = unheld.filter { !journaledOn[rows[$0].ping.day]!.contains(rows[$0].key) }
                    let inRows = try self.main.read { main in
                        try unjournaled.map { try Self.hasDayRow(rows[$0].key, on: rows[$0].ping.day, main) }
                    }
                    for index in unheld { seenBefore[index] = true }  // in the journal, unless found below
                    for (index, found) in zip(unjournaled, inRows) { seenBefore[index] = found }
                }
                try SQLiteJournal.append(db, rows)
                // Within the batch too: a second ping of the same instance and day is not the first.
                self.seen.insert(rows.map { ($0.key, $0.ping.day) })
                var firstInBatch = Set<String>()
                return zip(rows, seenBefore).map { row, seen in
                    !seen! && firstInBatch.insert("\(row.ping.day) \(row.key)").inserted
                }
            }
            journalChanged(by: rows.count)
            return firstToday
        } catch {
            // The commit may have failed after the days were noted: load them again when needed.
            seen.clear()
            throw error
        }
    }

    /// Whether `key` has a day row on `day`.
    static func hasDayRow(_ key: String, on day: Int, _ main: Database) throws -> Bool {
        try Bool.fetchOne(main.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM instance_days WHERE instance_id = ? AND day = ?)"), arguments: [key, day]) ?? false
    }

    // MARK: Transactions and snapshots

    public func write<T: Sendable>(_ operation: String, _ body: (SQLiteTransaction) async throws -> T) async throws -> T {
        try await writerLock.withLock {
            try await main.writeWithoutTransaction { db in try db.beginTransaction(.immediate) }
            let transaction = SQLiteTransaction(driver: self)
            let result: T
            do {
                result = try await body(transaction)
                try await main.writeWithoutTransaction { db in try db.commit() }
            } catch {
                await rollBack()
                throw error
            }
            try await transaction.committed()
            return result
        }
    }

    /// Rolls back the open transaction, also from a cancelled task (whose own database access
    /// GRDB would refuse): the next writer must not find it open.
    func rollBack() async {
        let main = self.main
        let logger = self.logger
        await Task {
            do {
                try await main.writeWithoutTransaction { db in
                    if db.isInsideTransaction { try db.rollback() }
                }
            } catch {
                logger.error("could not roll back a SQLite transaction", metadata: ["error": "\(error)"])
            }
        }.value
    }

    public func read<T: Sendable>(_ body: (SQLiteSnapshot) async throws -> T) async throws -> T {
        let snapshot: DatabaseSnapshot
        guard let pool = main as? DatabasePool else {
            throw StoreError("reading a snapshot of \(path) needs a DatabasePool (WAL mode)")
        }
        snapshot = try pool.makeSnapshot()
        return try await body(SQLiteSnapshot(snapshot: snapshot))
    }

    // MARK: Erasure

    /// Copies the write-ahead logs into their databases and truncates them to zero bytes, so
    /// page images from before a deletion do not linger in the -wal files.
    public func scrubErasedPages() async throws {
        try await writerLock.withLock { try await Self.truncateWriteAheadLog(of: main, path: path) }
        try await Self.truncateWriteAheadLog(of: journal, path: SQLiteJournal.path(besides: path))
    }

    static func truncateWriteAheadLog(of file: any DatabaseWriter, path: String) async throws {
        for attempt in 1...50 {
            do {
                _ = try await file.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                // A reader still holds an old snapshot: let it finish.
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
        throw StoreError("could not truncate the write-ahead log of \(path): readers kept it busy")
    }

    // MARK: Bulk loads

    /// Into an empty database, drops the secondary indexes for the load (``SQLiteBulkLoad``).
    public func beginBulkLoad() async throws -> Bool {
        try await write("begin bulk load") { rows in try await rows.beginBulkLoad() }
    }

    /// Builds the indexes a bulk load dropped, also from a cancelled task: a load cut off by
    /// cancellation still leaves its indexes whole.
    public func endBulkLoad() async throws {
        try await Task { try await self.write("end bulk load") { rows in try await rows.endBulkLoad() } }.value
    }

    // MARK: Diagnostics

    /// A write, not only a read: a full disk or a file that cannot be written makes it throw, so the
    /// collector reports not ready exactly while it cannot store pings.
    public func checkReadiness() async throws {
        try await write("readiness") { rows in try await rows.noteReadinessProbe() }
    }

    /// The journal mode, `synchronous` level and WAL checkpoint settings in force, for diagnostics and tests.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int, walAutocheckpoint: Int, journalSizeLimit: Int) {
        try await writerLock.withLock {
            try await main.writeWithoutTransaction { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                    try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                    try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1,
                    try Int.fetchOne(db, sql: "PRAGMA journal_size_limit") ?? -1
                )
            }
        }
    }
}
