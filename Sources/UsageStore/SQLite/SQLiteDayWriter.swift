import GRDB
import UsageTrackingCore

/// Writes (instance, day) rows and keeps the report rollups exact in the same transaction.
///
/// Each row is inserted, or if there is one already, read, changed in Swift and written back;
/// what the change does to the rollups is summed in a ``RollupChanges`` and written once per
/// rollup row when the transaction's rows are done. A batch of pings on one day thus costs a
/// handful of rollup upserts instead of several per ping (per-row triggers did that, and were
/// most of the ingest path's cost: BENCHMARKS.md).
///
/// Deletions (erasure, retention) and changes to `instances` still go through triggers
/// (`SQLiteRollups.triggers`): they are rare, or touch one row per instance.
struct SQLiteDayWriter {
    /// How a write combines with a row already stored: a live ping adds one to the count; an
    /// import merges, keeping the larger count, so importing the same data twice changes nothing.
    enum Combine {
        case add
        case merge
    }

    enum Outcome {
        case inserted
        case updated
        case unchanged
    }

    /// The row as the write has it (for `add`, `pings` is what to add).
    struct DayRow {
        var instance: String
        var day: Int
        var region: String?
        var firstSeen: Int64
        var lastSeen: Int64
        var pings: Int
    }

    let db: Database
    /// Off during a bulk load, whose rollups are rebuilt once at the end.
    let maintainsRollups: Bool
    var changes = RollupChanges()

    let selectInstance: Statement
    let insertInstance: Statement
    let updateInstance: Statement
    let selectDay: Statement
    let insertDay: Statement
    let updateDay: Statement
    let neighbours: Statement
    let nearbyDays: Statement

    init(_ db: Database, maintainsRollups: Bool = true) throws {
        self.db = db
        self.maintainsRollups = maintainsRollups
        // The instance first, so its first day is known for the retention cohort of a new day row.
        selectInstance = try db.cachedStatement(sql: "SELECT first_day, last_day, region FROM instances WHERE instance_id = ?")
        insertInstance = try db.cachedStatement(sql: "INSERT INTO instances (instance_id, first_day, last_day, region) VALUES (?, ?, ?, ?)")
        updateInstance = try db.cachedStatement(sql: "UPDATE instances SET first_day = ?, last_day = ?, region = ? WHERE instance_id = ?")
        selectDay = try db.cachedStatement(sql: """
            SELECT region, first_seen_ms, last_seen_ms, pings FROM instance_days WHERE instance_id = ? AND day = ?
            """)
        // Most writes are of a new day: insert first, and read the stored row only if there is one.
        insertDay = try db.cachedStatement(sql: """
            INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (instance_id, day) DO NOTHING
            """)
        updateDay = try db.cachedStatement(sql: """
            UPDATE instance_days SET region = ?, first_seen_ms = ?, last_seen_ms = ?, pings = ? WHERE instance_id = ? AND day = ?
            """)
        // The instance's other days around :day, among all its rows and among those of one region
        // (`IS`, so NULL finds the rows of no region), and whether it has another day in :day's week.
        neighbours = try db.cachedStatement(sql: """
            SELECT
                (SELECT day FROM instance_days WHERE instance_id = :i AND day < :day ORDER BY day DESC LIMIT 1),
                (SELECT day FROM instance_days WHERE instance_id = :i AND day > :day ORDER BY day LIMIT 1),
                (SELECT day FROM instance_days WHERE instance_id = :i AND day < :day AND region IS :region ORDER BY day DESC LIMIT 1),
                (SELECT day FROM instance_days WHERE instance_id = :i AND day > :day AND region IS :region ORDER BY day LIMIT 1),
                EXISTS (SELECT 1 FROM instance_days WHERE instance_id = :i AND day BETWEEN :week AND :week + 6 AND day != :day)
            """)
        // The instance's other days whose 28-day counts a new day changes, or that change them.
        nearbyDays = try db.cachedStatement(sql: """
            SELECT day FROM instance_days WHERE instance_id = ? AND day BETWEEN ? AND ? AND day != ? ORDER BY day
            """)
    }

    /// Writes one row: the instance's summary, then the day row, and notes the rollups' change.
    mutating func write(_ row: DayRow, _ combine: Combine) throws -> (Outcome, pings: Int) {
        let (firstDay, isNew) = try writeInstance(row.instance, days: [row][...])
        return try writeDay(row, combine, firstDay: firstDay, alone: isNew)
    }

    /// Writes rows of one instance, sorted by day: the instance's summary once, then each day row.
    /// The same as writing them one by one, with one instance read and write instead of one per row.
    mutating func write(instanceRows rows: ArraySlice<DayRow>, _ combine: Combine) throws -> [(Outcome, pings: Int)] {
        guard let first = rows.first else { return [] }
        let (firstDay, isNew) = try writeInstance(first.instance, days: rows)
        return try rows.indices.map { try writeDay(rows[$0], combine, firstDay: firstDay, alone: isNew && $0 == rows.startIndex) }
    }

    /// Writes rows of one instance, sorted by day and summed per day, with the instance's summary
    /// folded from `arrivals`, its pings in the order they were received: the same as writing the
    /// pings one by one (a journal fold).
    mutating func write(instanceRows rows: ArraySlice<DayRow>, arrivals: ArraySlice<DayRow>, _ combine: Combine) throws -> [(Outcome, pings: Int)] {
        guard let first = rows.first else { return [] }
        let (firstDay, isNew) = try writeInstance(first.instance, days: arrivals)
        return try rows.indices.map { try writeDay(rows[$0], combine, firstDay: firstDay, alone: isNew && $0 == rows.startIndex) }
    }

    /// Folds days, in the order given, into the instance's summary as writing them one by one would: the first
    /// and last day, and the region: a day at or after the last one sets it if it names one, an
    /// earlier day only fills in an unknown one. Writes the summary if it changed; returns the first
    /// day, and whether the instance is new (then it has no day row stored yet).
    func writeInstance(_ instance: String, days: ArraySlice<DayRow>) throws -> (first: Int, isNew: Bool) {
        var remaining = days
        let stored = try Row.fetchOne(selectInstance, arguments: [instance])
        var first: Int, last: Int, region: String?
        if let stored {
            (first, last, region) = (stored[0], stored[1], stored[2])
        } else {
            let day = remaining.removeFirst()
            (first, last, region) = (day.day, day.day, day.region)
        }
        let before = (first, last, region)
        for row in remaining {
            first = min(first, row.day)
            if row.day >= last {
                last = row.day
                region = row.region ?? region
            } else {
                region = region ?? row.region
            }
        }
        if stored == nil {
            try insertInstance.execute(arguments: [instance, first, last, region])
        } else if (first, last, region) != before {
            try updateInstance.execute(arguments: [first, last, region, instance])
        }
        return (first, stored == nil)
    }

    /// Writes one day row of an instance whose summary is written, and notes the rollups' change.
    /// `alone`: the instance has no other day row (its first row, just after its summary was
    /// created), so there are no neighbouring days to look up.
    mutating func writeDay(_ row: DayRow, _ combine: Combine, firstDay: Int, alone: Bool = false) throws -> (Outcome, pings: Int) {
        try insertDay.execute(arguments: [row.instance, row.day, row.region, row.firstSeen, row.lastSeen, row.pings])
        if db.changesCount == 1 {
            if maintainsRollups {
                let around = alone ? Around.none : try self.around(row.instance, day: row.day, region: row.region)
                changes.membership(day: row.day, scope: "*", pings: row.pings, previous: around.previous, next: around.next, sign: 1)
                changes.membership(day: row.day, scope: RollupChanges.scope(row.region), pings: row.pings,
                                   previous: around.previousInRegion, next: around.nextInRegion, sign: 1)
                if !around.otherDayInWeek {
                    changes.activeInWeek(firstDay: firstDay, day: row.day)
                }
                let nearby = alone ? [] : try Int.fetchAll(nearbyDays, arguments: [
                    row.instance, row.day - DaysSeen.window + 1, row.day + DaysSeen.window - 1, row.day,
                ])
                changes.daysSeen(DaysSeen.change(adding: row.day, to: nearby))
            }
            return (.inserted, row.pings)
        }
        guard let stored = try Row.fetchOne(selectDay, arguments: [row.instance, row.day]) else {
            throw StoreError("the day row of \(row.instance) on day \(row.day) was neither inserted nor found")
        }
        let oldRegion: String? = stored["region"]
        let oldPings: Int = stored["pings"]
        let oldFirst: Int64 = stored["first_seen_ms"]
        let oldLast: Int64 = stored["last_seen_ms"]
        // A day keeps the first region named for it; a later ping fills in an unknown one.
        let region = oldRegion ?? row.region
        let pings = combine == .add ? oldPings + row.pings : max(oldPings, row.pings)
        let first = min(oldFirst, row.firstSeen)
        let last = max(oldLast, row.lastSeen)
        guard region != oldRegion || pings != oldPings || first != oldFirst || last != oldLast else {
            return (.unchanged, oldPings)
        }
        try updateDay.execute(arguments: [region, first, last, pings, row.instance, row.day])
        if maintainsRollups {
            changes.addPings(day: row.day, scope: "*", pings - oldPings)
            if region == oldRegion {
                changes.addPings(day: row.day, scope: RollupChanges.scope(region), pings - oldPings)
            } else {
                // Unknown became known: the day moves from the `unknown` scope to its region's.
                let before = try around(row.instance, day: row.day, region: oldRegion)
                let after = try around(row.instance, day: row.day, region: region)
                changes.membership(day: row.day, scope: RollupChanges.scope(oldRegion), pings: oldPings,
                                   previous: before.previousInRegion, next: before.nextInRegion, sign: -1)
                changes.membership(day: row.day, scope: RollupChanges.scope(region), pings: pings,
                                   previous: after.previousInRegion, next: after.nextInRegion, sign: 1)
            }
        }
        return (.updated, pings)
    }

    /// Writes the rollup changes summed so far (call once, after the last row of the transaction).
    func finish() throws {
        if maintainsRollups { try changes.apply(db) }
    }

    struct Around {
        var previous: Int?
        var next: Int?
        var previousInRegion: Int?
        var nextInRegion: Int?
        var otherDayInWeek: Bool

        /// No other day at all.
        static let none = Around(previous: nil, next: nil, previousInRegion: nil, nextInRegion: nil, otherDayInWeek: false)
    }

    /// The instance's neighbouring days of `day`, not counting `day` itself.
    func around(_ instance: String, day: Int, region: String?) throws -> Around {
        let row = try Row.fetchOne(neighbours, arguments: [
            "i": instance, "day": day, "region": region, "week": RollupChanges.monday(day),
        ])
        return Around(previous: row?[0], next: row?[1], previousInRegion: row?[2], nextInRegion: row?[3], otherDayInWeek: row?[4] ?? false)
    }
}

extension [SQLiteDayWriter.DayRow] {
    /// The rows in the order of the table's key, (instance, day), as text compares: each row is
    /// sorted by the first 24 bytes of its instance key read as three big-endian integers (the
    /// whole of an instance ID), and by the text only when those are equal.
    func sortedInKeyOrder() -> [SQLiteDayWriter.DayRow] {
        typealias Prefix = (UInt64, UInt64, UInt64)
        func prefix(_ text: String) -> Prefix {
            var words: Prefix = (0, 0, 0)
            var utf8 = text
            utf8.withUTF8 { bytes in
                for (index, byte) in bytes.prefix(24).enumerated() {
                    let shift = UInt64(56 - 8 * (index % 8))
                    switch index / 8 {
                    case 0: words.0 |= UInt64(byte) << shift
                    case 1: words.1 |= UInt64(byte) << shift
                    default: words.2 |= UInt64(byte) << shift
                    }
                }
            }
            return words
        }
        return map { (prefix: prefix($0.instance), row: $0) }
            .sorted { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                if a.row.instance != b.row.instance { return a.row.instance < b.row.instance }
                return a.row.day < b.row.day
            }
            .map(\.row)
    }
}
