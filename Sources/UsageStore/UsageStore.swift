import ServiceLifecycle
import UsageTrackingCore

/// Where pings are kept: per (instance, UTC day) the region, first and last receipt time and ping
/// count; per instance its first and last active day. Nothing else.
///
/// ``RowStore`` implements it once over a database driver (SQLite, PostgreSQL); every driver
/// passes the same conformance suite (`UsageStoreConformanceTests`, and the brute-force
/// `ReportOracleTests`).
public protocol UsageStore: Sendable {
    /// Stores the pings in one transaction and returns only once it is durably committed.
    ///
    /// Writes are idempotent per (instance, day): a second ping on the same day adds to that
    /// day's count and times, never a second row. Outcomes are in the order of `pings`.
    func record(_ pings: [Ping]) async throws -> [RecordOutcome]

    /// Merges imported per-day aggregates in one transaction, idempotently: each (instance, day)
    /// keeps the larger ping count, the earlier first and later last time, and its first known
    /// region, so importing the same data twice changes nothing.
    func merge(_ days: [DayAggregate]) async throws -> MergeCounts

    /// Runs `load`, which merges many batches, in the fastest way the store has (into an empty
    /// SQLite database, without its secondary indexes until the end).
    func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeCounts) async throws -> Void) async throws

    /// What the manifest holds of the objects named (those imported before).
    func importedObjects(named names: [String]) async throws -> [String: ImportedObject]

    /// Whether the rows may hold imported pings the manifest has no record of (imported by a
    /// release before it existed): then the next import must read every object once and replace
    /// them (``ImportBatch/Counting/replacingUnrecorded``).
    func holdsUnrecordedImports() async throws -> Bool

    /// Runs `load`, which writes an import's batches (each one transaction: its aggregates and
    /// its objects in the manifest together), in the fastest way the store has.
    func bulkImport(_ load: (_ write: @escaping @Sendable (ImportBatch) async throws -> MergeCounts) async throws -> Void) async throws

    /// Services that must run while the store is used (a connection pool, the journal folder),
    /// started before and stopped after whatever uses the store.
    var services: [any Service] { get }

    /// Runs `body` against one consistent snapshot of the report rollups, which hold every ping
    /// acknowledged before the call (the journal is folded first). Every report is computed from
    /// it, the same way for every store (``Report``).
    func readRollups<T: Sendable>(_ body: @Sendable (any RollupReader) async throws -> T) async throws -> T

    /// Everything held about one instance, or `nil` when nothing is.
    func instanceRecord(_ instanceID: InstanceID) async throws -> InstanceRecord?

    /// Erases every row of one instance and leaves no trace of it in the database files;
    /// returns how many rows were removed (0 when nothing was held).
    func forget(_ instanceID: InstanceID) async throws -> Int

    /// Removes per-day rows older than `days` days before `today`: a row exactly `days` days old
    /// stays. Instances left without rows are removed; the others' first day is recomputed.
    func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeResult

    /// Recomputes every rollup from the rows, in one transaction.
    func rebuildRollups() async throws

    /// The rollup cells whose stored values differ from what the rows give, read in one snapshot.
    func verify() async throws -> [RollupDrift]

    /// Throws when the store cannot currently serve reads and writes.
    func checkReadiness() async throws
}

extension UsageStore {
    /// Stores one ping; see ``record(_:)-(_:[Ping])``.
    public func record(_ ping: Ping) async throws -> RecordOutcome {
        try await record([ping])[0]
    }

    public func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeCounts) async throws -> Void) async throws {
        try await load { batch in try await self.merge(batch) }
    }

    public var services: [any Service] { [] }
}
