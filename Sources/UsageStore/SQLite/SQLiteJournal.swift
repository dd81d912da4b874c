import GRDB
import UsageTrackingCore

/// The SQLite store's write path: a ping is acknowledged once it is appended to `ping_journal`
/// and the append is committed (WAL, `synchronous=FULL`); a fold applies the journal to
/// `instance_days`, `instances` and the rollups later, in large batches sorted by key.
///
/// An append touches only the last pages of one table, so a group commit of hundreds of pings
/// costs a few page writes and one fsync; the random B-tree pages of the day rows, the instance
/// rows and the rollups are paid by the fold, once per (instance, day) of a batch instead of
/// once per ping, and outside the acknowledgement's wait.
///
/// Exactly once: a fold reads the oldest entries, applies them and deletes them in one
/// transaction, so the table holds exactly the entries not yet applied (the deletion is the fold
/// watermark, committed with the rollups). A kill at any point leaves either all of a fold or
/// none of it. Every other write (a merge, an erasure, a purge) folds first in its own
/// transaction, and every read folds first, so reports count every acknowledged ping.
enum SQLiteJournal {
    /// Journal entries applied per fold transaction, at most.
    static let foldBatch = 50_000

    /// Appends pings (stored keys and day numbers) in the caller's transaction, in order.
    static func append(_ db: Database, _ rows: [SQLiteDayWriter.DayRow]) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO ping_journal (instance_id, day, region, received_ms) VALUES (?, ?, ?, ?)")
        for row in rows {
            try insert.execute(arguments: [row.instance, row.day, row.region, row.firstSeen])
        }
    }

    /// The stored keys with a ping on `day`, folded or not.
    static func instances(onDay day: Int, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT instance_id FROM instance_days WHERE day = :day
            UNION ALL SELECT instance_id FROM ping_journal WHERE day = :day
            """, arguments: ["day": day])
    }

    /// How many entries are waiting to be folded.
    static func length(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM ping_journal") ?? 0
    }

    /// Applies up to `limit` of the oldest entries and deletes them, in the caller's transaction;
    /// returns how many it applied (0 when the journal is empty).
    ///
    /// Pings of one (instance, day) are summed first, then the day rows are written in key order,
    /// each instance's summary folded from its pings in arrival order: the rows, the summaries and
    /// the rollups end as writing the pings one by one would leave them.
    static func fold(_ db: Database, limit: Int = foldBatch) throws -> Int {
        var arrivals: [SQLiteDayWriter.DayRow] = []
        var lastSequence: Int64 = 0
        let entries = try Row.fetchCursor(db, sql: """
            SELECT seq, instance_id, day, region, received_ms FROM ping_journal ORDER BY seq LIMIT ?
            """, arguments: [limit])
        while let entry = try entries.next() {
            lastSequence = entry[0]
            let received: Int64 = entry[4]
            arrivals.append(SQLiteDayWriter.DayRow(instance: entry[1], day: entry[2], region: entry[3], firstSeen: received, lastSeen: received, pings: 1))
        }
        guard !arrivals.isEmpty else { return 0 }

        struct DayKey: Hashable {
            var instance: String
            var day: Int
        }
        var dayIndex: [DayKey: Int] = [:]
        var days: [SQLiteDayWriter.DayRow] = []
        var arrivalsByInstance: [String: [SQLiteDayWriter.DayRow]] = [:]
        for ping in arrivals {
            arrivalsByInstance[ping.instance, default: []].append(ping)
            let key = DayKey(instance: ping.instance, day: ping.day)
            guard let index = dayIndex[key] else {
                dayIndex[key] = days.count
                days.append(ping)
                continue
            }
            // A day keeps the first region named for it.
            days[index].region = days[index].region ?? ping.region
            days[index].firstSeen = min(days[index].firstSeen, ping.firstSeen)
            days[index].lastSeen = max(days[index].lastSeen, ping.lastSeen)
            days[index].pings += 1
        }
        let sorted = days.sortedInKeyOrder()

        var writer = try SQLiteDayWriter(db)
        var start = sorted.startIndex
        while start < sorted.endIndex {
            var end = start + 1
            while end < sorted.endIndex, sorted[end].instance == sorted[start].instance { end += 1 }
            let instance = sorted[start].instance
            _ = try writer.write(instanceRows: sorted[start..<end], arrivals: (arrivalsByInstance[instance] ?? [])[...], .add)
            start = end
        }
        try writer.finish()
        try db.execute(sql: "DELETE FROM ping_journal WHERE seq <= ?", arguments: [lastSequence])
        return arrivals.count
    }
}
