import Foundation
import Logging
import ServiceLifecycle
import UsageTrackingCore

/// The one implementation of ``UsageStore``, over any database driver (``StoreDriver``): what a
/// merge, an erasure, a purge, a fold of the journal, an instance record and a rebuild do is
/// written here once; the driver only reads and writes rows, and the rollup arithmetic is the
/// core's (``InstanceFold``).
///
/// Pings are acknowledged once appended to the driver's journal; the journal folder (in
/// ``services``) folds the journal into the day rows and rollups behind the acknowledgement,
/// and every read and every other write folds what is left first, so reports count every
/// acknowledged ping.
public final class RowStore<Driver: StoreDriver>: UsageStore {
    public let driver: Driver
    public let pseudonymizer: Pseudonymizer?
    let foldInterval: Duration
    let logger: Logger

    /// Instances per purge transaction: a purge holds its writer lock for this many at a time.
    static var purgeChunk: Int { 5_000 }

    /// A store on `driver`, its database already open and migrated. With a `pseudonymizer`,
    /// instance IDs are stored as keyed hashes. `foldInterval` is the time between the journal
    /// folder's folds.
    public init(driver: Driver, pseudonymizer: Pseudonymizer?, foldInterval: Duration, logger: Logger) {
        self.driver = driver
        self.pseudonymizer = pseudonymizer
        self.foldInterval = foldInterval
        self.logger = logger
    }

    /// The stored form of an instance ID: itself, or its pseudonym.
    public func key(_ instanceID: InstanceID) -> String {
        pseudonymizer?.pseudonym(for: instanceID) ?? instanceID.rawValue
    }

    /// The driver's services (a connection pool), then the journal folder.
    public var services: [any Service] {
        driver.services + [
            JournalFolder(interval: foldInterval, logger: logger, pending: { [driver] in driver.unfoldedPings }, fold: { [self] in try await self.foldJournal() }),
        ]
    }

    /// Journal entries acknowledged and not yet folded, when the driver knows.
    public var unfoldedPings: Int? { driver.unfoldedPings }

    // MARK: Writes

    public func record(_ pings: [Ping]) async throws -> [RecordOutcome] {
        guard !pings.isEmpty else { return [] }
        let rows = pings.map { ping in
            (key: key(ping.instanceID), ping: StoredDay(ping: ping.day.daysSinceEpoch, region: ping.region?.code, at: ping.receivedAtMilliseconds))
        }
        let firstToday = try await driver.append(rows)
        guard firstToday.count == pings.count else {
            throw StoreError("the journal returned \(firstToday.count) outcomes for \(pings.count) pings")
        }
        return firstToday.map(RecordOutcome.init(firstToday:))
    }

    /// Folds every journal entry into the day rows and rollups, in transactions of at most
    /// `limit` entries; returns how many this call folded.
    @discardableResult
    public func foldJournal(limit: Int? = nil) async throws -> Int {
        let limit = limit ?? driver.foldBatch
        var total = 0
        while true {
            let folded = try await driver.write("fold") { rows in
                let entries = try await rows.takeJournalEntries(limit: limit)
                if !entries.isEmpty { try await rows.fold(InstanceChanges(pings: entries)) }
                return entries.count
            }
            total += folded
            if folded < limit { return total }
        }
    }

    public func merge(_ days: [DayAggregate]) async throws -> MergeCounts {
        try await merge(days, inBulkLoad: false)
    }

    /// Merges the aggregates through the fold, in key order; the rollups change for the touched
    /// days only.
    func merge(_ days: [DayAggregate], inBulkLoad: Bool) async throws -> MergeCounts {
        guard !days.isEmpty else { return MergeCounts() }
        let changes = InstanceChanges(merging: days, key: key)
        // The journal's pings first: a merge keeps the larger count, so the order matters.
        try await foldJournal()
        return try await driver.write("merge") { rows in
            if inBulkLoad { try await rows.markBulkLoad() }
            return try await rows.fold(changes)
        }
    }

    /// Loads many batches, each one durable transaction through the fold, so reports stay right
    /// throughout; the driver may prepare for the load (``StoreDriver/beginBulkLoad()``) and
    /// undoes it at the end, also when `load` throws.
    public func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeCounts) async throws -> Void) async throws {
        try await bulkLoad { marked in
            try await load { batch in try await self.merge(batch, inBulkLoad: marked) }
        }
    }

    public func bulkImport(_ load: (_ write: @escaping @Sendable (ImportBatch) async throws -> MergeCounts) async throws -> Void) async throws {
        try await bulkLoad { marked in
            try await load { batch in try await self.write(batch, inBulkLoad: marked) }
        }
    }

    /// Runs `load` between the driver's preparations for a bulk load and their undoing; `load`
    /// learns whether each batch must mark the load (``RowTransaction/markBulkLoad()``).
    func bulkLoad(_ load: (_ marked: Bool) async throws -> Void) async throws {
        try await foldJournal()
        let marked = try await driver.beginBulkLoad()
        do {
            try await load(marked)
        } catch {
            // The batches merged so far stay (each one committed).
            do {
                try await driver.endBulkLoad()
            } catch let ending {
                logger.error("could not finish the interrupted bulk load; the next start will", metadata: ["error": "\(ending)"])
            }
            throw error
        }
        try await driver.endBulkLoad()
    }

    // MARK: Imports

    public func importedObjects(named names: [String]) async throws -> [String: ImportedObject] {
        try await driver.read { snapshot in try await snapshot.importedObjects(named: names) }
    }

    public func holdsUnrecordedImports() async throws -> Bool {
        try await driver.write("import state") { rows in try await rows.setting("imports") == "unrecorded" }
    }

    /// Writes one import batch in one transaction through the fold: its aggregates counted as it
    /// says, its objects in the manifest.
    func write(_ batch: ImportBatch, inBulkLoad: Bool) async throws -> MergeCounts {
        let changes = switch batch.counting {
        case .adding: InstanceChanges(adding: batch.days, key: key)
        case .replacingUnrecorded: InstanceChanges(merging: batch.days, key: key)
        }
        try await foldJournal()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await driver.write("import") { rows in
            if inBulkLoad { try await rows.markBulkLoad() }
            let counts = batch.days.isEmpty ? MergeCounts() : try await rows.fold(changes)
            try await rows.recordImported(batch.objects, at: now)
            if batch.finishesUnrecorded { try await rows.setSetting("imports", "recorded") }
            return counts
        }
    }

    // MARK: Erasure and retention

    /// Deletes the instance's rows, and its pings still in the journal, in one transaction.
    public func forget(_ instanceID: InstanceID) async throws -> Int {
        let key = self.key(instanceID)
        try await foldJournal()
        let removed = try await driver.write("forget") { rows in
            // Pings of it that arrived since the fold: under the writer lock, which a fold holds
            // from taking the journal's entries to applying them, so none comes back.
            _ = try await rows.deleteJournalEntries(of: key)
            let count = try await rows.rowCount(of: key)
            try await rows.fold(InstanceChanges(.forget, of: [key]))
            return count
        }
        try await driver.scrubErasedPages()
        return removed
    }

    /// Purges in transactions of at most ``purgeChunk`` instances each (in key order), so pings
    /// keep flowing meanwhile; each transaction is exact on its own.
    public func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeResult {
        let cutoff = today.advanced(by: -days).daysSinceEpoch
        try await foldJournal()
        var dayRows = 0
        var instances = 0
        var after = ""
        while true {
            let chunk = try await driver.write("purge") { rows -> (days: Int, instances: Int, last: String?) in
                let keys = try await rows.keys(firstActiveBefore: cutoff, after: after, limit: Self.purgeChunk)
                guard let last = keys.last else { return (0, 0, nil) }
                let days = try await rows.dayRowCount(of: keys, before: cutoff)
                let before = try await rows.instances(keys).count
                try await rows.fold(InstanceChanges(.purge(before: cutoff), of: keys))
                let kept = try await rows.instances(keys).count
                return (days, before - kept, last)
            }
            dayRows += chunk.days
            instances += chunk.instances
            guard let last = chunk.last else { break }
            after = last
        }
        if dayRows > 0 { try await driver.scrubErasedPages() }
        return PurgeResult(cutoff: UTCDay(daysSinceEpoch: cutoff), dayRows: dayRows, instances: instances)
    }

    // MARK: Reads

    public func readRollups<T: Sendable>(_ body: @Sendable (any RollupReader) async throws -> T) async throws -> T {
        try await foldJournal()
        return try await driver.read { snapshot in try await body(snapshot.rollups) }
    }

    public func instanceRecord(_ instanceID: InstanceID) async throws -> InstanceRecord? {
        let key = self.key(instanceID)
        try await foldJournal()
        return try await driver.read { snapshot in
            guard let instance = try await snapshot.instances([key])[key] else { return nil }
            let days = try await snapshot.days([(key, StoredDay.allDays)])[key] ?? []
            return InstanceRecord(instanceID: instanceID, instance: instance, days: days)
        }
    }

    /// Recomputes every rollup from the rows, read once in key order, in one transaction.
    public func rebuildRollups() async throws {
        try await foldJournal()
        try await driver.write("rebuild rollups") { rows in
            let rollups = try await Self.rollupsRebuilt(from: rows)
            try await rows.clearRollups()
            try await rows.add(rollups)
        }
    }

    /// The rollup cells whose stored values are not what the rows give, from one snapshot: each
    /// rollup recomputed from the day rows with the fold engine's rebuild and compared.
    public func verify() async throws -> [RollupDrift] {
        try await foldJournal()
        return try await driver.read { snapshot in
            let rebuilt = try await Self.rollupsRebuilt(from: snapshot)
            return RollupDrift.between(stored: try await snapshot.storedRollups(), rebuilt: rebuilt)
        }
    }

    /// Instances read per query of a rebuild: its memory holds this many instances' rows.
    static var rebuildChunk: Int { 10_000 }

    /// Every rollup, from every row `rows` reads, a chunk of instances at a time.
    public static func rollupsRebuilt(from rows: some RowReading) async throws -> RollupChanges {
        var rebuild = RollupRebuild()
        var after = ""
        while true {
            let chunk = try await rows.instanceRows(after: after, limit: rebuildChunk)
            guard let last = chunk.last else { return rebuild.finish() }
            for (key, instance, days) in chunk {
                for day in days { rebuild.add(day, of: key, instance: instance) }
            }
            after = last.key
        }
    }

    public func checkReadiness() async throws {
        try await driver.checkReadiness()
    }
}

extension RowTransaction {
    /// Folds `changes` (in key order) into the rows and rollups: reads the instance rows of all
    /// of them at once, then the day rows each needs (again for a purge that moves a cohort),
    /// writes the rows, then adds the rollups' change summed over all of them. Returns what
    /// became of the day rows.
    @discardableResult
    public func fold(_ changes: InstanceChanges) async throws -> MergeCounts {
        var rollups = RollupChanges()
        let stored = try await instances(changes.keys)
        var folds = changes.changes.map { InstanceFold($0.change, stored: stored[$0.key]) }
        var writes: [InstanceWrite?] = Array(repeating: nil, count: folds.count)
        var pending = Array(folds.indices)
        while !pending.isEmpty {
            let days = try await self.days(pending.compactMap { index in folds[index].daysToRead.map { (changes.changes[index].key, $0) } })
            pending = pending.filter { index in
                writes[index] = folds[index].apply(days: days[changes.changes[index].key] ?? [], to: &rollups)
                return writes[index] == nil
            }
        }
        let counts = try await write(zip(changes.keys, writes.map { $0! }).map { ($0, $1) })
        try await add(rollups)
        return counts
    }
}
