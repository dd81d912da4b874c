import GRDB
import UsageStore
import UsageTrackingCore

/// The SQLite store's rollup rows for the reports, all read from one snapshot of the database.
struct SQLiteRollupReader: RollupReader {
    let snapshot: DatabaseSnapshot

    /// `AND scope = ?` for one scope, `AND scope != '*'` for every regional scope.
    static func scopeClause(_ scope: String?) -> (sql: String, arguments: StatementArguments) {
        scope.map { ("AND scope = ?", [$0]) } ?? ("AND scope != '*'", [])
    }

    func activeDays(scope: String) async throws -> ClosedRange<Int>? {
        try await snapshot.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT min(day), max(day) FROM daily_rollup WHERE scope = ? AND active > 0", arguments: [scope])
            guard let first: Int = row?[0], let last: Int = row?[1] else { return nil }
            return first...last
        }
    }

    func dailyCells(scope: String?, days: ClosedRange<Int>) async throws -> [DailyCell] {
        let (clause, arguments) = Self.scopeClause(scope)
        return try await snapshot.read { db in
            try Row.fetchAll(db, sql: """
                SELECT scope, day, active, pings, new FROM daily_rollup WHERE day BETWEEN ? AND ? \(clause)
                """, arguments: [days.lowerBound, days.upperBound] + arguments).map {
                DailyCell(scope: $0[0], day: $0[1], active: $0[2], pings: $0[3], new: $0[4])
            }
        }
    }

    func regionalScopes() async throws -> [String] {
        try await snapshot.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT scope FROM daily_rollup WHERE scope != '*' AND (active > 0 OR new > 0)")
        }
    }

    func windowCells(window: Int, scope: String?, days: ClosedRange<Int>) async throws -> (before: [String: Int], cells: [WindowCell]) {
        let (clause, arguments) = Self.scopeClause(scope)
        return try await snapshot.read { db in
            let before = try Row.fetchAll(db, sql: """
                SELECT scope, sum(delta) FROM window_delta WHERE window = ? AND day < ? \(clause) GROUP BY scope
                """, arguments: [window, days.lowerBound] + arguments)
            let cells = try Row.fetchAll(db, sql: """
                SELECT scope, day, delta FROM window_delta WHERE window = ? AND day BETWEEN ? AND ? \(clause)
                """, arguments: [window, days.lowerBound, days.upperBound] + arguments)
            return (
                Dictionary(uniqueKeysWithValues: before.map { ($0[0] as String, $0[1] as Int) }),
                cells.map { WindowCell(window: window, scope: $0[0], day: $0[1], delta: $0[2]) }
            )
        }
    }

    func retentionCells(cohorts: ClosedRange<Int>) async throws -> [RetentionCell] {
        try await snapshot.read { db in
            try Row.fetchAll(db, sql: """
                SELECT cohort, week, instances FROM retention_weeks WHERE cohort BETWEEN ? AND ? AND instances > 0
                """, arguments: [cohorts.lowerBound, cohorts.upperBound]).map {
                RetentionCell(cohort: $0[0], week: $0[1], instances: $0[2])
            }
        }
    }

    func daysSeenCells(days: ClosedRange<Int>) async throws -> (before: [Int: Int], cells: [DaysSeenCell]) {
        try await snapshot.read { db in
            let before = try Row.fetchAll(db, sql: "SELECT seen, sum(delta) FROM days_seen_delta WHERE day < ? GROUP BY seen", arguments: [days.lowerBound])
            let cells = try Row.fetchAll(db, sql: """
                SELECT seen, day, delta FROM days_seen_delta WHERE day BETWEEN ? AND ?
                """, arguments: [days.lowerBound, days.upperBound])
            return (
                Dictionary(uniqueKeysWithValues: before.map { ($0[0] as Int, $0[1] as Int) }),
                cells.map { DaysSeenCell(seen: $0[0], day: $0[1], delta: $0[2]) }
            )
        }
    }

    func instancesByLastDay(days: ClosedRange<Int>, region: String?) async throws -> [Int: Int] {
        try await snapshot.read { db in
            let regionClause = region == nil ? "" : "AND region = ?"
            let arguments: StatementArguments = [days.lowerBound, days.upperBound] + (region.map { [$0] } ?? [])
            return Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT last_day, count(*) FROM instances WHERE last_day BETWEEN ? AND ? \(regionClause) GROUP BY last_day
                """, arguments: arguments).map { ($0[0] as Int, $0[1] as Int) })
        }
    }

    func instancesByRegionAndLastDay(days: ClosedRange<Int>) async throws -> [(region: String?, day: Int, count: Int)] {
        try await snapshot.read { db in
            try Row.fetchAll(db, sql: """
                SELECT region, last_day, count(*) FROM instances WHERE last_day BETWEEN ? AND ? GROUP BY region, last_day
                """, arguments: [days.lowerBound, days.upperBound]).map { ($0[0], $0[1], $0[2]) }
        }
    }
}
