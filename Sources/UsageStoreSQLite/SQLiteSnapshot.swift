import GRDB
import UsageStore
import UsageTrackingCore

/// One snapshot of the main file (WAL): the rollups and rows as the last commit before it left them.
public struct SQLiteSnapshot: RowSnapshot {
    let snapshot: DatabaseSnapshot

    public var rollups: any RollupReader { SQLiteRollupReader(snapshot: snapshot) }

    public func instances(_ keys: [String]) async throws -> [String: StoredInstance] {
        try await snapshot.read { db in try SQLiteTransaction.instances(keys, db) }
    }

    public func days(_ reads: [(key: String, days: ClosedRange<Int>)]) async throws -> [String: [StoredDay]] {
        try await snapshot.read { db in try SQLiteTransaction.days(reads, db) }
    }

    public func instanceRows(after key: String, limit: Int) async throws -> [(key: String, instance: StoredInstance, days: [StoredDay])] {
        try await snapshot.read { db in try SQLiteTransaction.instanceRows(after: key, limit: limit, db) }
    }
}
