import ServiceLifecycle
import UsageTrackingCore

/// What a database implements so that ``RowStore`` can keep pings in it: a journal that
/// acknowledges pings, write transactions on the rows and rollups, and read snapshots. Everything
/// above this seam (merge, forget, purge, the fold loop, instance records, rebuilds) is written
/// once, in ``RowStore``; a driver only moves rows.
///
/// Every write transaction of one store's database runs alone: a driver holds its database's
/// one writer lock (SQLite's file lock, PostgreSQL's rollup advisory lock) for the whole of
/// ``write(_:_:)``, so each transaction reads the rows and rollups the previous one left.
public protocol StoreDriver: Sendable {
    associatedtype Transaction: RowTransaction
    associatedtype Snapshot: RowSnapshot

    /// The most journal entries one fold transaction takes.
    var foldBatch: Int { get }

    /// Appends pings (stored keys, day numbers) to the journal in one durable transaction and
    /// returns, once it has committed, whether each is its instance's first on its day.
    func append(_ pings: [(key: String, ping: StoredDay)]) async throws -> [Bool]

    /// Runs `body` in one write transaction holding the writer lock, and commits it; rolls back
    /// and rethrows when `body` throws. `operation` names it in logs and errors.
    func write<T: Sendable>(_ operation: String, _ body: (Transaction) async throws -> T) async throws -> T

    /// Runs `body` on one consistent, read-only snapshot of the database.
    func read<T: Sendable>(_ body: (Snapshot) async throws -> T) async throws -> T

    /// Journal entries acknowledged and not yet folded, when the driver knows it cheaply; `nil`
    /// when it does not (other processes append too): the journal folder then folds every time.
    var unfoldedPings: Int? { get }

    /// After rows were erased and committed: removes the copies of their pages the database
    /// files may still hold (SQLite's write-ahead log). Nothing to do for most databases.
    func scrubErasedPages() async throws

    /// Before a bulk load (``UsageStore/bulkMerge(_:)``): prepares the database for many large
    /// batches, returning whether every batch must call ``RowTransaction/markBulkLoad()``.
    func beginBulkLoad() async throws -> Bool

    /// After a bulk load, also one cut short: undoes what ``beginBulkLoad()`` did.
    func endBulkLoad() async throws

    /// Services the driver needs while the store is used (a connection pool).
    var services: [any Service] { get }

    /// Throws when the database cannot currently take writes.
    func checkReadiness() async throws
}

extension StoreDriver {
    public func scrubErasedPages() async throws {}
    public func beginBulkLoad() async throws -> Bool { false }
    public func endBulkLoad() async throws {}
    public var services: [any Service] { [] }
}

/// What both a write transaction and a read snapshot read: one instance's rows.
public protocol RowReading {
    /// The instance rows of `keys` (those stored).
    func instances(_ keys: [String]) async throws -> [String: StoredInstance]

    /// For each key, its day rows with a day in its range, oldest first (keys without any are absent).
    func days(_ reads: [(key: String, days: ClosedRange<Int>)]) async throws -> [String: [StoredDay]]

    /// The next `limit` instances in key order after `key` (`""`: from the first), each with its
    /// instance row and every day row, oldest first; empty after the last. Day rows without an
    /// instance row are not read.
    func instanceRows(after key: String, limit: Int) async throws -> [(key: String, instance: StoredInstance, days: [StoredDay])]

    /// What the import manifest holds of the objects named.
    func importedObjects(named names: [String]) async throws -> [String: ImportedObject]
}

/// The row-level seam a driver implements inside one write transaction (``StoreDriver/write(_:_:)``).
public protocol RowTransaction: RowReading {
    /// Writes the rows the fold computed: deletions first, then instance rows and day rows.
    /// Returns what became of the day rows.
    func write(_ writes: [(key: String, write: InstanceWrite)]) async throws -> MergeCounts

    /// Adds rollup changes to the stored rollup rows.
    func add(_ rollups: RollupChanges) async throws

    /// Takes up to `limit` of the journal's oldest entries for folding in this transaction: once
    /// it commits, they count as applied, exactly once.
    func takeJournalEntries(limit: Int) async throws -> [(key: String, ping: StoredDay)]

    /// Deletes the journal entries of one instance not yet folded; returns how many.
    func deleteJournalEntries(of key: String) async throws -> Int

    /// The day rows and instance rows stored under `key` (day rows without an instance row too).
    func rowCount(of key: String) async throws -> Int

    /// Day rows of `keys` on days before `day`.
    func dayRowCount(of keys: [String], before day: Int) async throws -> Int

    /// Up to `limit` keys, in key order after `after`, of instances first active before `day`.
    func keys(firstActiveBefore day: Int, after: String, limit: Int) async throws -> [String]

    /// Deletes every rollup row.
    func clearRollups() async throws

    /// Notes, in a batch of a bulk load, that the load is under way (``StoreDriver/beginBulkLoad()``).
    func markBulkLoad() async throws

    /// Adds `objects` to the import manifest, replacing what it held of them.
    func recordImported(_ objects: [ImportedObject], at milliseconds: Int64) async throws

    /// The value of the database setting `name`, and a new one.
    func setting(_ name: String) async throws -> String?
    func setSetting(_ name: String, _ value: String) async throws
}

extension RowTransaction {
    public func markBulkLoad() async throws {}
}

/// A consistent, read-only snapshot: the rollups for the reports, and the rows of one instance.
public protocol RowSnapshot: RowReading {
    /// The snapshot's rollup rows, for the reports.
    var rollups: any RollupReader { get }

    /// Every stored rollup row (``RowStore/verify()``).
    func storedRollups() async throws -> StoredRollups
}
