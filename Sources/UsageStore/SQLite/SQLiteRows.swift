import GRDB
import UsageTrackingCore

/// The SQLite store's rows, read and written inside one write transaction: what a fold needs of
/// `instances` and `instance_days`, the rows it writes back, and the rollup changes it adds. The
/// arithmetic is the core's (``InstanceFold``); this only moves rows.
struct SQLiteRows {
    let db: Database
    let selectInstance: Statement
    let insertInstance: Statement
    let updateInstance: Statement
    let selectDays: Statement
    let upsertDay: Statement

    init(_ db: Database) throws {
        self.db = db
        selectInstance = try db.cachedStatement(sql: "SELECT first_day, last_day, region FROM instances WHERE instance_id = ?")
        insertInstance = try db.cachedStatement(sql: "INSERT INTO instances (instance_id, first_day, last_day, region) VALUES (?, ?, ?, ?)")
        updateInstance = try db.cachedStatement(sql: "UPDATE instances SET first_day = ?, last_day = ?, region = ? WHERE instance_id = ?")
        selectDays = try db.cachedStatement(sql: """
            SELECT day, region, first_seen_ms, last_seen_ms, pings FROM instance_days
            WHERE instance_id = ? AND day BETWEEN ? AND ? ORDER BY day
            """)
        upsertDay = try db.cachedStatement(sql: """
            INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (instance_id, day) DO UPDATE SET
                region = excluded.region, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms, pings = excluded.pings
            """)
    }

    /// Folds `changes` (in key order) into the rows and rollups: reads what each needs, writes
    /// its rows, then adds the rollups' change summed over all of them. Returns what became of
    /// the day rows.
    @discardableResult
    func fold(_ changes: InstanceChanges) throws -> MergeSummary {
        var rollups = RollupChanges()
        var summary = MergeSummary()
        for (key, change) in changes.changes {
            var fold = InstanceFold(change, stored: try instance(key))
            var write: InstanceWrite?
            repeat {
                let days = try fold.daysToRead.map { try self.days(of: key, in: $0) } ?? []
                write = fold.apply(days: days, to: &rollups)
            } while write == nil
            summary = summary + (try self.write(write!, of: key))
        }
        try Self.add(rollups, db)
        return summary
    }

    func instance(_ key: String) throws -> StoredInstance? {
        try Row.fetchOne(selectInstance, arguments: [key]).map { StoredInstance(firstDay: $0[0], lastDay: $0[1], region: $0[2]) }
    }

    func days(of key: String, in days: ClosedRange<Int>) throws -> [StoredDay] {
        try Row.fetchAll(selectDays, arguments: [key, days.lowerBound, days.upperBound]).map { Self.day($0) }
    }

    /// A day row from the columns `day, region, first_seen_ms, last_seen_ms, pings`, from `first` on.
    static func day(_ row: Row, from first: Int = 0) -> StoredDay {
        StoredDay(day: row[first], region: row[first + 1], firstSeen: row[first + 2], lastSeen: row[first + 3], pings: row[first + 4])
    }

    /// Writes one instance's rows; returns what became of its day rows.
    func write(_ write: InstanceWrite, of key: String) throws -> MergeSummary {
        if let before = write.deleteDaysBefore {
            try db.execute(sql: "DELETE FROM instance_days WHERE instance_id = ? AND day < ?", arguments: [key, before])
        }
        switch write.summary {
        case .unchanged: break
        case .insert(let instance): try insertInstance.execute(arguments: [key, instance.firstDay, instance.lastDay, instance.region])
        case .update(let instance): try updateInstance.execute(arguments: [instance.firstDay, instance.lastDay, instance.region, key])
        case .delete: try db.execute(sql: "DELETE FROM instances WHERE instance_id = ?", arguments: [key])
        }
        var summary = MergeSummary()
        for (row, outcome) in write.days {
            switch outcome {
            case .unchanged:
                summary.unchanged += 1
                continue
            case .inserted: summary.inserted += 1
            case .updated: summary.updated += 1
            }
            try upsertDay.execute(arguments: [key, row.day, row.region, row.firstSeen, row.lastSeen, row.pings])
        }
        return summary
    }

    /// Adds the rollup changes to the stored rollup rows, each table in key order.
    static func add(_ rollups: RollupChanges, _ db: Database) throws {
        let daily = try db.cachedStatement(sql: """
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (scope, day) DO UPDATE SET
                active = active + excluded.active, pings = pings + excluded.pings, new = new + excluded.new
            """)
        for cell in rollups.dailyCells {
            try daily.execute(arguments: [cell.scope, cell.day, cell.active, cell.pings, cell.new])
        }
        let windows = try db.cachedStatement(sql: """
            INSERT INTO window_delta (window, scope, day, delta) VALUES (?, ?, ?, ?)
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta
            """)
        for cell in rollups.windowCells {
            try windows.execute(arguments: [cell.window, cell.scope, cell.day, cell.delta])
        }
        let retention = try db.cachedStatement(sql: """
            INSERT INTO retention_weeks (cohort, week, instances) VALUES (?, ?, ?)
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances
            """)
        for cell in rollups.retentionCells {
            try retention.execute(arguments: [cell.cohort, cell.week, cell.instances])
        }
        let daysSeen = try db.cachedStatement(sql: """
            INSERT INTO days_seen_delta (seen, day, delta) VALUES (?, ?, ?)
            ON CONFLICT (seen, day) DO UPDATE SET delta = delta + excluded.delta
            """)
        for cell in rollups.daysSeenCells {
            try daysSeen.execute(arguments: [cell.seen, cell.day, cell.delta])
        }
    }

    /// Recomputes every rollup from the rows, read once in key order.
    static func rebuildRollups(_ db: Database) throws {
        var rebuild = RollupRebuild()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.instance_id, d.day, d.region, d.first_seen_ms, d.last_seen_ms, d.pings, i.first_day, i.last_day, i.region
            FROM instance_days d JOIN instances i ON i.instance_id = d.instance_id
            ORDER BY d.instance_id, d.day
            """)
        while let row = try rows.next() {
            rebuild.add(day(row, from: 1), of: row[0], summary: StoredInstance(firstDay: row[6], lastDay: row[7], region: row[8]))
        }
        for table in ["daily_rollup", "window_delta", "retention_weeks", "days_seen_delta"] {
            try db.execute(sql: "DELETE FROM \(table)")
        }
        try add(rebuild.finish(), db)
    }
}
