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

    public func importedObjects(named names: [String]) async throws -> [String: ImportedObject] {
        try await snapshot.read { db in try SQLiteTransaction.importedObjects(named: names, db) }
    }

    public func storedRollups() async throws -> StoredRollups {
        try await snapshot.read { db in
            StoredRollups(
                daily: try Row.fetchAll(db, sql: "SELECT scope, day, active, pings, new FROM daily_rollup").map {
                    DailyCell(scope: $0[0], day: $0[1], active: $0[2], pings: $0[3], new: $0[4])
                },
                windows: try Row.fetchAll(db, sql: "SELECT window, scope, day, delta FROM window_delta").map {
                    WindowCell(window: $0[0], scope: $0[1], day: $0[2], delta: $0[3])
                },
                retention: try Row.fetchAll(db, sql: "SELECT cohort, week, instances FROM retention_weeks").map {
                    RetentionCell(cohort: $0[0], week: $0[1], instances: $0[2])
                },
                daysSeen: try Row.fetchAll(db, sql: "SELECT seen, day, delta FROM days_seen_delta").map {
                    DaysSeenCell(seen: $0[0], day: $0[1], delta: $0[2])
                }
            )
        }
    }
}
