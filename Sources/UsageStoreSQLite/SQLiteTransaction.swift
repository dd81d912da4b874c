import Foundation
import GRDB
import Synchronization
import UsageStore
import UsageTrackingCore

/// One write transaction of the main file (``SQLiteDriver/write(_:_:)``), its rows read and
/// written in a few database accesses. What it changes outside the main file (entries of the
/// journal file that a fold applied, the first-today cache) is done once it has committed.
public final class SQLiteTransaction: RowTransaction, Sendable {
    struct AfterCommit {
        /// The fold watermark this transaction set, and how many entries it applied.
        var applied: (through: Int64, count: Int)?
        var seenDays: [(key: String, day: Int)] = []
        var forgotten: [String] = []
        var daysDeleted = false
    }

    let driver: SQLiteDriver
    let afterCommit = Mutex(AfterCommit())

    init(driver: SQLiteDriver) {
        self.driver = driver
    }

    /// One access to the main file, inside the open transaction.
    func access<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await driver.main.writeWithoutTransaction(body)
    }

    /// What this transaction left to do outside the main file, now that it has committed.
    func committed() async throws {
        let after = afterCommit.withLock { $0 }
        if after.daysDeleted {
            driver.seen.clear()
        } else {
            for key in after.forgotten { driver.seen.remove(key) }
            driver.seen.insert(after.seenDays)
        }
        if let (through, count) = after.applied {
            driver.journalChanged(by: -count)
            try await driver.journal.write { db in try SQLiteJournal.deleteApplied(db, through: through) }
        }
    }

    // MARK: Rows

    static let selectInstance = "SELECT first_day, last_day, region FROM instances WHERE instance_id = ?"
    static let selectDays = """
        SELECT day, region, first_seen_ms, last_seen_ms, pings FROM instance_days
        WHERE instance_id = ? AND day BETWEEN ? AND ? ORDER BY day
        """

    public func instances(_ keys: [String]) async throws -> [String: StoredInstance] {
        try await access { db in try Self.instances(keys, db) }
    }

    static func instances(_ keys: [String], _ db: Database) throws -> [String: StoredInstance] {
        let select = try db.cachedStatement(sql: selectInstance)
        var result: [String: StoredInstance] = [:]
        for key in keys {
            if let row = try Row.fetchOne(select, arguments: [key]) {
                result[key] = StoredInstance(firstDay: row[0], lastDay: row[1], region: row[2])
            }
        }
        return result
    }

    public func days(_ reads: [(key: String, days: ClosedRange<Int>)]) async throws -> [String: [StoredDay]] {
        try await access { db in try Self.days(reads, db) }
    }

    static func days(_ reads: [(key: String, days: ClosedRange<Int>)], _ db: Database) throws -> [String: [StoredDay]] {
        let select = try db.cachedStatement(sql: selectDays)
        var result: [String: [StoredDay]] = [:]
        for (key, days) in reads {
            let rows = try Row.fetchAll(select, arguments: [key, days.lowerBound, days.upperBound]).map { day($0) }
            if !rows.isEmpty { result[key] = rows }
        }
        return result
    }

    public func instanceRows(after key: String, limit: Int) async throws -> [(key: String, instance: StoredInstance, days: [StoredDay])] {
        try await access { db in try Self.instanceRows(after: key, limit: limit, db) }
    }

    static func instanceRows(after key: String, limit: Int, _ db: Database) throws -> [(key: String, instance: StoredInstance, days: [StoredDay])] {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT i.instance_id, i.first_day, i.last_day, i.region, d.day, d.region, d.first_seen_ms, d.last_seen_ms, d.pings
            FROM (SELECT * FROM instances WHERE instance_id > ? ORDER BY instance_id LIMIT ?) i
            JOIN instance_days d ON d.instance_id = i.instance_id
            ORDER BY d.instance_id, d.day
            """, arguments: [key, limit])
        var result: [(key: String, instance: StoredInstance, days: [StoredDay])] = []
        while let row = try rows.next() {
            let key: String = row[0]
            if result.last?.key != key {
                result.append((key, StoredInstance(firstDay: row[1], lastDay: row[2], region: row[3]), []))
            }
            result[result.count - 1].days.append(day(row, from: 4))
        }
        return result
    }

    /// A day row from the columns `day, region, first_seen_ms, last_seen_ms, pings`, from `first` on.
    static func day(_ row: Row, from first: Int = 0) -> StoredDay {
        StoredDay(day: row[first], region: row[first + 1], firstSeen: row[first + 2], lastSeen: row[first + 3], pings: row[first + 4])
    }

    public func write(_ writes: [(key: String, write: InstanceWrite)]) async throws -> MergeCounts {
        let counts = try await access { db in try Self.write(writes, db) }
        afterCommit.withLock { after in
            for (key, write) in writes {
                if write.deleteDaysBefore != nil { after.daysDeleted = true }
                if write.instanceRow == .delete { after.forgotten.append(key) }
                for (row, outcome) in write.days where outcome != .unchanged { after.seenDays.append((key, row.day)) }
            }
        }
        return counts
    }

    static func write(_ writes: [(key: String, write: InstanceWrite)], _ db: Database) throws -> MergeCounts {
        let insertInstance = try db.cachedStatement(sql: "INSERT INTO instances (instance_id, first_day, last_day, region) VALUES (?, ?, ?, ?)")
        let updateInstance = try db.cachedStatement(sql: "UPDATE instances SET first_day = ?, last_day = ?, region = ? WHERE instance_id = ?")
        let upsertDay = try db.cachedStatement(sql: """
            INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (instance_id, day) DO UPDATE SET
                region = excluded.region, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms, pings = excluded.pings
            """)
        var counts = MergeCounts()
        for (key, write) in writes {
            if let before = write.deleteDaysBefore {
                try db.execute(sql: "DELETE FROM instance_days WHERE instance_id = ? AND day < ?", arguments: [key, before])
            }
            switch write.instanceRow {
            case .unchanged: break
            case .insert(let instance): try insertInstance.execute(arguments: [key, instance.firstDay, instance.lastDay, instance.region])
            case .update(let instance): try updateInstance.execute(arguments: [instance.firstDay, instance.lastDay, instance.region, key])
            case .delete: try db.execute(sql: "DELETE FROM instances WHERE instance_id = ?", arguments: [key])
            }
            for (row, outcome) in write.days {
                switch outcome {
                case .unchanged:
                    counts.unchanged += 1
                    continue
                case .inserted: counts.inserted += 1
                case .updated: counts.updated += 1
                }
                try upsertDay.execute(arguments: [key, row.day, row.region, row.firstSeen, row.lastSeen, row.pings])
            }
        }
        return counts
    }

    public func add(_ rollups: RollupChanges) async throws {
        try await access { db in try Self.add(rollups, db) }
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

    static let rollupTables = ["daily_rollup", "window_delta", "retention_weeks", "days_seen_delta"]

    public func clearRollups() async throws {
        try await access { db in try Self.clearRollups(db) }
    }

    static func clearRollups(_ db: Database) throws {
        for table in rollupTables {
            try db.execute(sql: "DELETE FROM \(table)")
        }
    }

    /// Recomputes every rollup from the rows in one access (at start-up, before anything else
    /// uses the database: a previous release's bulk load left them stale).
    static func rebuildRollups(_ db: Database) throws {
        var rebuild = RollupRebuild()
        var after = ""
        while true {
            let chunk = try instanceRows(after: after, limit: 10_000, db)
            guard let last = chunk.last else { break }
            for (key, instance, days) in chunk {
                for day in days { rebuild.add(day, of: key, instance: instance) }
            }
            after = last.key
        }
        try clearRollups(db)
        try add(rebuild.finish(), db)
    }

    // MARK: The journal

    public func takeJournalEntries(limit: Int) async throws -> [(key: String, ping: StoredDay)] {
        let journal = driver.journal
        let entries = try await access { db in
            let watermark = try SQLiteJournal.watermark(db)
            let entries = try journal.read { journal in try SQLiteJournal.entries(journal, after: watermark, limit: limit) }
            if let last = entries.last { try SQLiteJournal.setWatermark(last.sequence, db) }
            return entries
        }
        if let last = entries.last {
            afterCommit.withLock { $0.applied = (last.sequence, entries.count) }
        }
        return entries.map { ($0.key, $0.ping) }
    }

    public func deleteJournalEntries(of key: String) async throws -> Int {
        let deleted = try await driver.journal.write { journal in
            try journal.execute(sql: "DELETE FROM ping_journal WHERE instance_id = ?", arguments: [key])
            return journal.changesCount
        }
        if deleted > 0 { driver.journalChanged(by: -deleted) }
        afterCommit.withLock { $0.forgotten.append(key) }
        return deleted
    }

    // MARK: Erasure and retention

    public func rowCount(of key: String) async throws -> Int {
        try await access { db in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM instance_days WHERE instance_id = ?) + (SELECT count(*) FROM instances WHERE instance_id = ?)
                """, arguments: [key, key]) ?? 0
        }
    }

    public func dayRowCount(of keys: [String], before day: Int) async throws -> Int {
        try await access { db in
            let count = try db.cachedStatement(sql: "SELECT count(*) FROM instance_days WHERE instance_id = ? AND day < ?")
            return try keys.reduce(0) { total, key in total + (try Int.fetchOne(count, arguments: [key, day]) ?? 0) }
        }
    }

    public func keys(firstActiveBefore day: Int, after: String, limit: Int) async throws -> [String] {
        try await access { db in
            try String.fetchAll(db, sql: """
                SELECT instance_id FROM instances WHERE first_day < ? AND instance_id > ? ORDER BY instance_id LIMIT ?
                """, arguments: [day, after, limit])
        }
    }

    // MARK: Imports and settings

    public func recordImported(_ objects: [ImportedObject], at milliseconds: Int64) async throws {
        guard !objects.isEmpty else { return }
        try await access { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO imported_objects (name, size, modified_ms, head_sha256, tail_sha256, imported_ms) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET size = excluded.size, modified_ms = excluded.modified_ms, head_sha256 = excluded.head_sha256,
                    tail_sha256 = excluded.tail_sha256, imported_ms = excluded.imported_ms
                """)
            for object in objects {
                try upsert.execute(arguments: [object.name, object.size, object.modified, object.head, object.tail, milliseconds])
            }
        }
    }

    public func importedObjects(named names: [String]) async throws -> [String: ImportedObject] {
        try await access { db in try Self.importedObjects(named: names, db) }
    }

    /// The manifest's records of `names`; the whole manifest read once when they are many (a
    /// folder of years of log objects), each looked up by its key when they are few.
    static func importedObjects(named names: [String], _ db: Database) throws -> [String: ImportedObject] {
        var result: [String: ImportedObject] = [:]
        func object(_ row: Row) -> ImportedObject { ImportedObject(name: row[0], size: row[1], modified: row[2], head: row[3], tail: row[4]) }
        if names.count > 1_000 {
            let wanted = Set(names)
            let rows = try Row.fetchCursor(db, sql: "SELECT name, size, modified_ms, head_sha256, tail_sha256 FROM imported_objects")
            while let row = try rows.next() {
                let name: String = row[0]
                if wanted.contains(name) { result[name] = object(row) }
            }
            return result
        }
        let select = try db.cachedStatement(sql: "SELECT name, size, modified_ms, head_sha256, tail_sha256 FROM imported_objects WHERE name = ?")
        for name in names {
            if let row = try Row.fetchOne(select, arguments: [name]) { result[name] = object(row) }
        }
        return result
    }

    public func setting(_ name: String) async throws -> String? {
        try await access { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name]) }
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await access { db in
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", arguments: [name, value])
        }
    }

    // MARK: Bulk loads and readiness

    public func markBulkLoad() async throws {
        try await access { db in try SQLiteBulkLoad.mark(db) }
    }

    func beginBulkLoad() async throws -> Bool {
        try await access { db in try SQLiteBulkLoad.begin(db) }
    }

    func endBulkLoad() async throws {
        try await access { db in try SQLiteBulkLoad.finish(db) }
    }

    func noteReadinessProbe() async throws {
        try await access { db in
            try db.execute(sql: """
                INSERT INTO settings (name, value) VALUES ('readiness_probe', ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, arguments: [String(Int64(Date().timeIntervalSince1970 * 1000))])
        }
    }
}
