import Logging
import PostgresNIO
import UsageStore
import UsageTrackingCore

/// The PostgreSQL database's rows, read and written inside one transaction on one connection
/// (``PostgresDriver/write(_:_:)``, ``PostgresDriver/read(_:)``): a few statements per batch
/// whatever its size. The arithmetic is the core's (``InstanceFold``); this only moves rows.
public struct PostgresRows: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// The key of the transaction advisory lock every rollup writer holds ("usage-tracking rollups"):
    /// one fold, merge, erasure or purge at a time across all collectors, so that each reads the
    /// rows and rollups the previous one left. Journal appends do not take it.
    static let rollupLockKey: Int64 = 0x7573_6167_652D_726C

    /// Every row of `query`, decoded as `type` (a column type or a tuple of them).
    func rows<each Column: PostgresDecodable>(_ type: (repeat each Column).Type, _ query: PostgresQuery) async throws -> [(repeat each Column)] {
        var result: [(repeat each Column)] = []
        for row in try await connection.rows(query, logger: logger) {
            result.append(try row.decode((repeat each Column).self))
        }
        return result
    }

    func execute(_ query: PostgresQuery) async throws {
        _ = try await connection.rows(query, logger: logger)
    }

    /// Waits for the rollup lock (``rollupLockKey``), held until the transaction ends.
    func lockRollups() async throws {
        try await execute("SELECT pg_advisory_xact_lock(\(Self.rollupLockKey))")
    }

    /// Runs `body` between `begin` and COMMIT on `connection`, rolling back and rethrowing its
    /// error: the one transaction helper, for the migrations' connection and the pool's alike.
    nonisolated(nonsending) static func transaction<T>(
        on connection: PostgresConnection, begin: PostgresQuery = "BEGIN", logger: Logger, _ body: (PostgresRows) async throws -> T
    ) async throws -> T {
        let rows = PostgresRows(connection: connection, logger: logger)
        try await rows.execute(begin)
        do {
            let result = try await body(rows)
            try await rows.execute("COMMIT")
            return result
        } catch {
            _ = try? await connection.rows("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The value of a setting, recorded as `value` if it has none.
    func claimSetting(_ name: String, _ value: String) async throws -> String {
        try await execute("INSERT INTO settings (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO NOTHING")
        return try await rows(String.self, "SELECT value FROM settings WHERE name = \(name)").first ?? value
    }

    // MARK: Rows

    public func instances(_ keys: [String]) async throws -> [String: StoredInstance] {
        guard !keys.isEmpty else { return [:] }
        var result: [String: StoredInstance] = [:]
        for (key, first, last, region) in try await rows((String, Int, Int, String?).self, """
            SELECT instance_id, first_day, last_day, region FROM instances WHERE instance_id = ANY(\(keys)::text[])
            """) {
            result[key] = StoredInstance(firstDay: first, lastDay: last, region: region)
        }
        return result
    }

    /// The day rows of each instance in its range, ascending: one row per instance, its columns
    /// as arrays, aggregated per instance from its primary-key range (a fold of daily pings
    /// reads four weeks of rows per instance: sent as rows, their keys and framing were most of
    /// the transfer, and a GROUP BY over all of them sorted them on disk).
    public func days(_ reads: [(key: String, days: ClosedRange<Int>)]) async throws -> [String: [StoredDay]] {
        guard !reads.isEmpty else { return [:] }
        var result: [String: [StoredDay]] = [:]
        for (key, days, regions, firsts, lasts, pings) in try await rows((String, [Int], [String], [Int64], [Int64], [Int]).self, """
            SELECT r.id, x.days, x.regions, x.firsts, x.lasts, x.pings
            FROM unnest(\(reads.map(\.key))::text[], \(reads.map(\.days.lowerBound))::integer[], \(reads.map(\.days.upperBound))::integer[]) AS r(id, lo, hi)
            CROSS JOIN LATERAL (
                SELECT array_agg(d.day) AS days, array_agg(coalesce(d.region, '')) AS regions,
                       array_agg(d.first_seen_ms) AS firsts, array_agg(d.last_seen_ms) AS lasts, array_agg(d.pings) AS pings
                FROM instance_days d WHERE d.instance_id = r.id AND d.day BETWEEN r.lo AND r.hi
            ) x
            WHERE x.days IS NOT NULL
            """) {
            // The arrays of one row list its days in one order (the same input rows), sorted here.
            result[key] = days.indices.map { index in
                StoredDay(day: days[index], region: regions[index].isEmpty ? nil : regions[index],
                          firstSeen: firsts[index], lastSeen: lasts[index], pings: pings[index])
            }.sorted { $0.day < $1.day }
        }
        return result
    }

    /// Writes the instances' rows: deletions first, then summaries and day rows, each in one
    /// statement. Returns what became of the day rows.
    public func write(_ writes: [(key: String, write: InstanceWrite)]) async throws -> MergeCounts {
        var summary = MergeCounts()
        let deletions = writes.compactMap { entry in entry.write.deleteDaysBefore.map { (entry.key, Int(min($0, Int(Int32.max)))) } }
        if !deletions.isEmpty {
            try await execute("""
                DELETE FROM instance_days d USING unnest(\(deletions.map(\.0))::text[], \(deletions.map(\.1))::integer[]) AS x(id, before)
                WHERE d.instance_id = x.id AND d.day < x.before
                """)
        }
        let gone = writes.filter { $0.write.instanceRow == .delete }.map(\.key)
        if !gone.isEmpty {
            try await execute("DELETE FROM instances WHERE instance_id = ANY(\(gone)::text[])")
        }
        let instances: [(String, StoredInstance)] = writes.compactMap { entry in
            switch entry.write.instanceRow {
            case .insert(let instance), .update(let instance): (entry.key, instance)
            case .unchanged, .delete: nil
            }
        }
        if !instances.isEmpty {
            // PostgresNIO binds no arrays of optionals: the empty string stands for "no region".
            try await execute("""
                INSERT INTO instances (instance_id, first_day, last_day, region)
                SELECT x.id, x.first_day, x.last_day, nullif(x.region, '')
                FROM unnest(\(instances.map(\.0))::text[], \(instances.map(\.1.firstDay))::integer[],
                            \(instances.map(\.1.lastDay))::integer[], \(instances.map { $0.1.region ?? "" })::text[])
                     AS x(id, first_day, last_day, region)
                ON CONFLICT (instance_id) DO UPDATE SET
                    first_day = excluded.first_day, last_day = excluded.last_day, region = excluded.region
                """)
        }
        var days: [(key: String, row: StoredDay)] = []
        for (key, write) in writes {
            for (row, outcome) in write.days {
                switch outcome {
                case .inserted: summary.inserted += 1
                case .updated: summary.updated += 1
                case .unchanged:
                    summary.unchanged += 1
                    continue
                }
                days.append((key, row))
            }
        }
        if !days.isEmpty {
            try await execute("""
                INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings)
                SELECT x.id, x.day, nullif(x.region, ''), x.first_seen, x.last_seen, x.pings
                FROM unnest(\(days.map(\.key))::text[], \(days.map(\.row.day))::integer[], \(days.map { $0.row.region ?? "" })::text[],
                            \(days.map(\.row.firstSeen))::bigint[], \(days.map(\.row.lastSeen))::bigint[], \(days.map(\.row.pings))::integer[])
                     AS x(id, day, region, first_seen, last_seen, pings)
                ON CONFLICT (instance_id, day) DO UPDATE SET
                    region = excluded.region, first_seen_ms = excluded.first_seen_ms,
                    last_seen_ms = excluded.last_seen_ms, pings = excluded.pings
                """)
        }
        return summary
    }

    /// Adds the rollup changes to the stored rollup rows, one statement per table, in key order.
    public func add(_ rollups: RollupChanges) async throws {
        let daily = rollups.dailyCells
        if !daily.isEmpty {
            try await execute("""
                INSERT INTO daily_rollup AS t (scope, day, active, pings, new)
                SELECT * FROM unnest(\(daily.map(\.scope))::text[], \(daily.map(\.day))::integer[], \(daily.map(\.active))::integer[],
                                     \(daily.map(\.pings))::bigint[], \(daily.map(\.new))::integer[])
                ON CONFLICT (scope, day) DO UPDATE SET
                    active = t.active + excluded.active, pings = t.pings + excluded.pings, new = t.new + excluded.new
                """)
        }
        let windows = rollups.windowCells
        if !windows.isEmpty {
            try await execute("""
                INSERT INTO window_delta AS t ("window", scope, day, delta)
                SELECT * FROM unnest(\(windows.map(\.window))::integer[], \(windows.map(\.scope))::text[],
                                     \(windows.map(\.day))::integer[], \(windows.map(\.delta))::integer[])
                ON CONFLICT ("window", scope, day) DO UPDATE SET delta = t.delta + excluded.delta
                """)
        }
        let retention = rollups.retentionCells
        if !retention.isEmpty {
            try await execute("""
                INSERT INTO retention_weeks AS t (cohort, week, instances)
                SELECT * FROM unnest(\(retention.map(\.cohort))::integer[], \(retention.map(\.week))::integer[], \(retention.map(\.instances))::integer[])
                ON CONFLICT (cohort, week) DO UPDATE SET instances = t.instances + excluded.instances
                """)
        }
        let seen = rollups.daysSeenCells
        if !seen.isEmpty {
            try await execute("""
                INSERT INTO days_seen_delta AS t (seen, day, delta)
                SELECT * FROM unnest(\(seen.map(\.seen))::integer[], \(seen.map(\.day))::integer[], \(seen.map(\.delta))::integer[])
                ON CONFLICT (seen, day) DO UPDATE SET delta = t.delta + excluded.delta
                """)
        }
    }

    public func instanceRows(after key: String, limit: Int) async throws -> [(key: String, instance: StoredInstance, days: [StoredDay])] {
        var result: [(key: String, instance: StoredInstance, days: [StoredDay])] = []
        for (key, first, last, latest, day, region, firstSeen, lastSeen, pings) in try await rows(
            (String, Int, Int, String?, Int, String?, Int64, Int64, Int).self, """
            SELECT i.instance_id, i.first_day, i.last_day, i.region, d.day, d.region, d.first_seen_ms, d.last_seen_ms, d.pings
            FROM (SELECT * FROM instances WHERE instance_id > \(key) ORDER BY instance_id LIMIT \(limit)) i
            JOIN instance_days d ON d.instance_id = i.instance_id
            ORDER BY d.instance_id, d.day
            """) {
            if result.last?.key != key {
                result.append((key, StoredInstance(firstDay: first, lastDay: last, region: latest), []))
            }
            result[result.count - 1].days.append(StoredDay(day: day, region: region, firstSeen: firstSeen, lastSeen: lastSeen, pings: pings))
        }
        return result
    }

    public func clearRollups() async throws {
        for table in ["daily_rollup", "window_delta", "retention_weeks", "days_seen_delta"] {
            try await execute(PostgresQuery(unsafeSQL: "DELETE FROM \(table)"))
        }
    }

    // MARK: Imports and settings

    public func recordImported(_ objects: [ImportedObject], at milliseconds: Int64) async throws {
        guard !objects.isEmpty else { return }
        try await execute("""
            INSERT INTO imported_objects (name, size, modified_ms, head_sha256, tail_sha256, imported_ms)
            SELECT x.name, x.size, x.modified, x.head, x.tail, \(milliseconds)
            FROM unnest(\(objects.map(\.name))::text[], \(objects.map(\.size))::bigint[], \(objects.map(\.modified))::bigint[],
                        \(objects.map(\.head))::text[], \(objects.map(\.tail))::text[])
                 AS x(name, size, modified, head, tail)
            ON CONFLICT (name) DO UPDATE SET size = excluded.size, modified_ms = excluded.modified_ms, head_sha256 = excluded.head_sha256,
                tail_sha256 = excluded.tail_sha256, imported_ms = excluded.imported_ms
            """)
    }

    public func importedObjects(named names: [String]) async throws -> [String: ImportedObject] {
        guard !names.isEmpty else { return [:] }
        var result: [String: ImportedObject] = [:]
        for (name, size, modified, head, tail) in try await rows((String, Int, Int64, String, String).self, """
            SELECT name, size, modified_ms, head_sha256, tail_sha256 FROM imported_objects WHERE name = ANY(\(names)::text[])
            """) {
            result[name] = ImportedObject(name: name, size: size, modified: modified, head: head, tail: tail)
        }
        return result
    }

    public func setting(_ name: String) async throws -> String? {
        try await rows(String.self, "SELECT value FROM settings WHERE name = \(name)").first
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await execute("INSERT INTO settings (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
    }

    // MARK: The journal

    /// The oldest entries, as one range of the primary key: whatever the planner thinks of the
    /// table (its statistics are of a journal that is usually near empty, and `seq IN (subquery)`
    /// was planned as a nested loop, minutes for 200,000 entries). Entries with lower numbers
    /// whose transactions commit later are not visible here and are taken by a later fold. An
    /// entry is applied by the transaction that deletes it, and by no other.
    public func takeJournalEntries(limit: Int) async throws -> [(key: String, ping: StoredDay)] {
        try await rows((Int64, String, Int, String?, Int64).self, """
            DELETE FROM ping_journal
            WHERE seq <= coalesce(
                (SELECT seq FROM ping_journal ORDER BY seq OFFSET \(limit - 1) LIMIT 1),
                (SELECT max(seq) FROM ping_journal))
            RETURNING seq, instance_id, day, region, received_ms
            """).sorted { $0.0 < $1.0 }.map { ($0.1, StoredDay(ping: $0.2, region: $0.3, at: $0.4)) }
    }

    public func deleteJournalEntries(of key: String) async throws -> Int {
        try await rows(Int.self, "WITH gone AS (DELETE FROM ping_journal WHERE instance_id = \(key) RETURNING 1) SELECT count(*) FROM gone").first ?? 0
    }

    // MARK: Erasure and retention

    public func rowCount(of key: String) async throws -> Int {
        try await rows(Int.self, """
            SELECT (SELECT count(*) FROM instance_days WHERE instance_id = \(key)) + (SELECT count(*) FROM instances WHERE instance_id = \(key))
            """).first ?? 0
    }

    public func dayRowCount(of keys: [String], before day: Int) async throws -> Int {
        try await rows(Int.self, "SELECT count(*) FROM instance_days WHERE instance_id = ANY(\(keys)::text[]) AND day < \(day)").first ?? 0
    }

    public func keys(firstActiveBefore day: Int, after: String, limit: Int) async throws -> [String] {
        try await rows(String.self, """
            SELECT instance_id FROM instances WHERE first_day < \(day) AND instance_id > \(after)
            ORDER BY instance_id LIMIT \(limit)
            """)
    }
}

extension PostgresRows: RowTransaction, RowSnapshot {
    /// The snapshot's rollups (in a repeatable-read transaction).
    public var rollups: any RollupReader { PostgresRollupReader(rows: self) }

    public func storedRollups() async throws -> StoredRollups {
        StoredRollups(
            daily: try await rows((String, Int, Int, Int, Int).self, "SELECT scope, day, active, pings, new FROM daily_rollup").map {
                DailyCell(scope: $0.0, day: $0.1, active: $0.2, pings: $0.3, new: $0.4)
            },
            windows: try await rows((Int, String, Int, Int).self, #"SELECT "window", scope, day, delta FROM window_delta"#).map {
                WindowCell(window: $0.0, scope: $0.1, day: $0.2, delta: $0.3)
            },
            retention: try await rows((Int, Int, Int).self, "SELECT cohort, week, instances FROM retention_weeks").map {
                RetentionCell(cohort: $0.0, week: $0.1, instances: $0.2)
            },
            daysSeen: try await rows((Int, Int, Int).self, "SELECT seen, day, delta FROM days_seen_delta").map {
                DaysSeenCell(seen: $0.0, day: $0.1, delta: $0.2)
            }
        )
    }
}
