import UsageStore
import PostgresNIO
import UsageTrackingCore

/// The PostgreSQL store's rollup rows for the reports, read in one repeatable-read transaction.
/// A `nil` scope (every regional scope) reaches each query as a flag beside the scope it binds.
struct PostgresRollupReader: RollupReader {
    let rows: PostgresRows

    func activeDays(scope: String) async throws -> ClosedRange<Int>? {
        guard let (first, last) = try await rows.rows((Int?, Int?).self, """
            SELECT min(day), max(day) FROM daily_rollup WHERE scope = \(scope) AND active > 0
            """).first, let first, let last else { return nil }
        return first...last
    }

    func dailyCells(scope: String?, days: ClosedRange<Int>) async throws -> [DailyCell] {
        try await rows.rows((String, Int, Int, Int, Int).self, """
            SELECT scope, day, active, pings, new FROM daily_rollup
            WHERE day BETWEEN \(days.lowerBound) AND \(days.upperBound) AND (scope = \(scope ?? "") OR (\(scope == nil) AND scope <> '*'))
            """).map {
            DailyCell(scope: $0.0, day: $0.1, active: $0.2, pings: $0.3, new: $0.4)
        }
    }

    func regionalScopes() async throws -> [String] {
        try await rows.rows(String.self, "SELECT DISTINCT scope FROM daily_rollup WHERE scope <> '*' AND (active > 0 OR new > 0)")
    }

    func windowCells(window: Int, scope: String?, days: ClosedRange<Int>) async throws -> (before: [String: Int], cells: [WindowCell]) {
        (
            Dictionary(uniqueKeysWithValues: try await rows.rows((String, Int).self, """
                SELECT scope, sum(delta)::bigint FROM window_delta
                WHERE "window" = \(window) AND day < \(days.lowerBound) AND (scope = \(scope ?? "") OR (\(scope == nil) AND scope <> '*'))
                GROUP BY scope
                """)),
            try await rows.rows((String, Int, Int).self, """
                SELECT scope, day, delta FROM window_delta
                WHERE "window" = \(window) AND day BETWEEN \(days.lowerBound) AND \(days.upperBound)
                  AND (scope = \(scope ?? "") OR (\(scope == nil) AND scope <> '*'))
                """).map { WindowCell(window: window, scope: $0.0, day: $0.1, delta: $0.2) }
        )
    }

    func retentionCells(cohorts: ClosedRange<Int>) async throws -> [RetentionCell] {
        try await rows.rows((Int, Int, Int).self, """
            SELECT cohort, week, instances FROM retention_weeks
            WHERE cohort BETWEEN \(cohorts.lowerBound) AND \(cohorts.upperBound) AND instances > 0
            """).map { RetentionCell(cohort: $0.0, week: $0.1, instances: $0.2) }
    }

    func daysSeenCells(days: ClosedRange<Int>) async throws -> (before: [Int: Int], cells: [DaysSeenCell]) {
        (
            Dictionary(uniqueKeysWithValues: try await rows.rows((Int, Int).self, """
                SELECT seen, sum(delta)::bigint FROM days_seen_delta WHERE day < \(days.lowerBound) GROUP BY seen
                """)),
            try await rows.rows((Int, Int, Int).self, """
                SELECT seen, day, delta FROM days_seen_delta WHERE day BETWEEN \(days.lowerBound) AND \(days.upperBound)
                """).map { DaysSeenCell(seen: $0.0, day: $0.1, delta: $0.2) }
        )
    }

    func instancesByLastDay(days: ClosedRange<Int>, region: String?) async throws -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: try await rows.rows((Int, Int).self, """
            SELECT last_day, count(*) FROM instances
            WHERE last_day BETWEEN \(days.lowerBound) AND \(days.upperBound) AND (\(region == nil) OR region = \(region ?? ""))
            GROUP BY last_day
            """))
    }

    func instancesByRegionAndLastDay(days: ClosedRange<Int>) async throws -> [(region: String?, day: Int, count: Int)] {
        try await rows.rows((String?, Int, Int).self, """
            SELECT region, last_day, count(*) FROM instances
            WHERE last_day BETWEEN \(days.lowerBound) AND \(days.upperBound) GROUP BY region, last_day
            """).map { ($0.0, $0.1, $0.2) }
    }
}
