import Foundation
import GRDB
import Logging
import UsageTrackingCore

/// The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a committed
/// transaction survives a killed process and a power cut.
public final class SQLiteUsageStore: UsageStore {
    let pool: DatabasePool
    let pseudonymizer: Pseudonymizer?
    let logger: Logger

    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// With a `pseudonymizer`, instance IDs are stored as keyed hashes. A database remembers how it
    /// was written: opening it with a different key, or with and without one, is refused.
    public init(path: String, pseudonymizer: Pseudonymizer? = nil, logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Deleted rows are overwritten with zeros, so erased IDs leave no trace in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        self.pseudonymizer = pseudonymizer
        do {
            self.pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB opens WAL pools with synchronous=NORMAL, which can lose the last commits on a
            // power cut. FULL fsyncs the WAL at every commit; the pool has one writer connection.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try SQLiteMigrations.migrator.migrate(pool)
        } catch {
            throw StoreError("cannot open the SQLite database at \(path): \(error)")
        }
        self.logger = logger
        try checkPseudonymization(path: path)
    }

    /// The stored form of an instance ID: itself, or its pseudonym.
    func key(_ instanceID: InstanceID) -> String {
        pseudonymizer?.pseudonym(for: instanceID) ?? instanceID.rawValue
    }

    /// Records, on first use, whether and with which key IDs are pseudonymised; refuses a change.
    func checkPseudonymization(path: String) throws {
        let wanted = pseudonymizer?.fingerprint ?? "none"
        let stored: String = try pool.write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'pseudonymization'") {
                return value
            }
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('pseudonymization', ?)", arguments: [wanted])
            return wanted
        }
        guard stored == wanted else {
            switch (stored, wanted) {
            case ("none", _):
                throw StoreError("\(path) holds plain instance IDs; refusing to pseudonymise into it (use a new database)")
            case (_, "none"):
                throw StoreError("\(path) holds instance IDs pseudonymised with key \(stored); refusing to start without --pseudonymize-key-file")
            default:
                throw StoreError("\(path) holds instance IDs pseudonymised with key \(stored), but the key given is \(wanted); refusing to mix them")
            }
        }
    }

    // MARK: Writes

    public func record(_ pings: [Ping]) async throws -> [RecordOutcome] {
        guard !pings.isEmpty else { return [] }
        return try await pool.write { db in
            let upsertDay = try db.cachedStatement(sql: """
                INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings)
                VALUES (?, ?, ?, ?, ?, 1)
                ON CONFLICT (instance_id, day) DO UPDATE SET
                    pings = pings + 1,
                    first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
                    last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),
                    region = coalesce(excluded.region, region)
                RETURNING pings
                """)
            let upsertInstance = try db.cachedStatement(sql: """
                INSERT INTO instances (instance_id, first_day, last_day, region)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (instance_id) DO UPDATE SET
                    first_day = min(first_day, excluded.first_day),
                    last_day = max(last_day, excluded.last_day),
                    region = CASE WHEN excluded.last_day >= last_day THEN coalesce(excluded.region, region)
                                  ELSE coalesce(region, excluded.region) END
                """)
            var outcomes: [RecordOutcome] = []
            outcomes.reserveCapacity(pings.count)
            for ping in pings {
                let day = ping.day.daysSinceEpoch
                let region = ping.region?.code
                let instance = self.key(ping.instanceID)
                let count = try Int.fetchOne(upsertDay, arguments: [
                    instance, day, region, ping.receivedAtMilliseconds, ping.receivedAtMilliseconds,
                ]) ?? 0
                try upsertInstance.execute(arguments: [instance, day, day, region])
                outcomes.append(RecordOutcome(firstToday: count == 1))
            }
            return outcomes
        }
    }

    // MARK: Reads

    public func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        try await pool.read { db in
            let regionClause = region == nil ? "" : "AND region = :region"
            guard let bounds = try Row.fetchOne(db, sql: "SELECT min(day) AS first, max(day) AS last FROM instance_days WHERE 1 \(regionClause)", arguments: ["region": region?.code]),
                  let first: Int = bounds["first"], let last: Int = bounds["last"]
            else {
                return Self.series(from: from, to: to, rows: [:], window: window)
            }
            let start = from ?? UTCDay(daysSinceEpoch: first)
            let end = to ?? UTCDay(daysSinceEpoch: last)
            guard start <= end else { return [] }
            let lookBack = start.advanced(by: -(window - 1))
            var rows: [Int: (active: Int, new: Int, pings: Int)] = [:]
            // New instances and pings per day.
            let perDay = try Row.fetchAll(db, sql: """
                SELECT d.day AS day, count(*) AS active, sum(d.pings) AS pings,
                       sum(CASE WHEN i.first_day = d.day THEN 1 ELSE 0 END) AS new
                FROM instance_days d JOIN instances i ON i.instance_id = d.instance_id
                WHERE d.day BETWEEN :start AND :end \(region == nil ? "" : "AND d.region = :region")
                GROUP BY d.day
                """, arguments: ["start": start.daysSinceEpoch, "end": end.daysSinceEpoch, "region": region?.code])
            for row in perDay {
                rows[row["day"]] = (row["active"], row["new"], row["pings"])
            }
            if window > 1 {
                // Exact distinct instances over each trailing window.
                let dayRows = try Row.fetchAll(db, sql: """
                    SELECT day, instance_id FROM instance_days
                    WHERE day BETWEEN :lookBack AND :end \(regionClause)
                    ORDER BY day
                    """, arguments: ["lookBack": lookBack.daysSinceEpoch, "end": end.daysSinceEpoch, "region": region?.code])
                let actives = Self.trailingDistinct(dayRows.map { (day: $0["day"] as Int, instance: $0["instance_id"] as String) }, window: window, from: start, to: end)
                for (day, active) in actives {
                    let existing = rows[day] ?? (0, 0, 0)
                    rows[day] = (active, existing.new, existing.pings)
                }
            }
            return Self.series(from: start, to: end, rows: rows, window: window)
        }
    }

    /// Distinct instances over the trailing `window` days ending on each day from `from` to `to`.
    /// `rows` are (day, instance) pairs, unique, sorted by day: a sliding window with a count per instance.
    static func trailingDistinct(_ rows: [(day: Int, instance: String)], window: Int, from: UTCDay, to: UTCDay) -> [Int: Int] {
        var daysInWindow: [String: Int] = [:]
        var result: [Int: Int] = [:]
        var entering = 0
        var leaving = 0
        for day in from.daysSinceEpoch...to.daysSinceEpoch {
            while entering < rows.count, rows[entering].day <= day {
                daysInWindow[rows[entering].instance, default: 0] += 1
                entering += 1
            }
            while leaving < entering, rows[leaving].day <= day - window {
                let instance = rows[leaving].instance
                let remaining = daysInWindow[instance, default: 1] - 1
                daysInWindow[instance] = remaining == 0 ? nil : remaining
                leaving += 1
            }
            result[day] = daysInWindow.count
        }
        return result
    }

    static func series(from: UTCDay?, to: UTCDay?, rows: [Int: (active: Int, new: Int, pings: Int)], window: Int) -> [DailyActivity] {
        guard let from, let to, from <= to else { return [] }
        return (from...to).map { day in
            let row = rows[day.daysSinceEpoch] ?? (0, 0, 0)
            return DailyActivity(day: day, active: row.active, new: row.new, pings: row.pings)
        }
    }

    public func instanceSummary(_ instanceID: InstanceID) async throws -> InstanceSummary? {
        let key = self.key(instanceID)
        return try await pool.read { db in
            guard let instance = try Row.fetchOne(db, sql: "SELECT first_day, last_day, region FROM instances WHERE instance_id = ?", arguments: [key]) else {
                return nil
            }
            let days = try Row.fetchAll(db, sql: """
                SELECT day, region, first_seen_ms, last_seen_ms, pings FROM instance_days
                WHERE instance_id = ? ORDER BY day
                """, arguments: [key]).map { row in
                InstanceSummary.Day(
                    day: UTCDay(daysSinceEpoch: row["day"]), region: row["region"],
                    firstSeenMilliseconds: row["first_seen_ms"], lastSeenMilliseconds: row["last_seen_ms"], pings: row["pings"]
                )
            }
            return InstanceSummary(
                instanceID: instanceID.rawValue, region: instance["region"],
                firstActiveDay: UTCDay(daysSinceEpoch: instance["first_day"]),
                lastActiveDay: UTCDay(daysSinceEpoch: instance["last_day"]), days: days
            )
        }
    }

    // MARK: Erasure and retention

    public func forget(_ instanceID: InstanceID) async throws -> Int {
        let key = self.key(instanceID)
        let removed = try await pool.write { db in
            try db.execute(sql: "DELETE FROM instance_days WHERE instance_id = ?", arguments: [key])
            var count = db.changesCount
            try db.execute(sql: "DELETE FROM instances WHERE instance_id = ?", arguments: [key])
            count += db.changesCount
            return count
        }
        try await scrubWriteAheadLog()
        return removed
    }

    public func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary {
        let cutoff = today.advanced(by: -days)
        let summary = try await pool.write { db in
            try db.execute(sql: "DELETE FROM instance_days WHERE day < ?", arguments: [cutoff.daysSinceEpoch])
            let dayRows = db.changesCount
            try db.execute(sql: "DELETE FROM instances WHERE first_day < ? AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = instances.instance_id)", arguments: [cutoff.daysSinceEpoch])
            let instances = db.changesCount
            try db.execute(sql: """
                UPDATE instances SET first_day = (SELECT min(day) FROM instance_days d WHERE d.instance_id = instances.instance_id)
                WHERE first_day < ?
                """, arguments: [cutoff.daysSinceEpoch])
            return PurgeSummary(cutoff: cutoff, dayRows: dayRows, instances: instances)
        }
        if summary.dayRows > 0 { try await scrubWriteAheadLog() }
        return summary
    }

    /// Copies the write-ahead log into the database and truncates it to zero bytes, so page
    /// images from before a deletion do not linger in the -wal file.
    func scrubWriteAheadLog() async throws {
        for attempt in 1...50 {
            do {
                _ = try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                // A reader still holds an old snapshot: let it finish.
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
        throw StoreError("could not truncate the write-ahead log: readers kept it busy")
    }

    /// The journal mode and `synchronous` level in force, for diagnostics and tests.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int) {
        try await pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }

    public func checkReadiness() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
