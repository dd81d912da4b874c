import UsageTrackingCore

/// The rollup rows a report reads, as every store serves them from one consistent snapshot
/// (``UsageStore/readRollups(_:)``). The reports themselves are assembled once, from these, in
/// ``RollupReports``. A `scope` of `nil` means every regional scope (not `*`).
public protocol RollupReader: Sendable {
    /// The first and last day on which an instance was active in `scope`; `nil` when none was.
    func activeDays(scope: String) async throws -> ClosedRange<Int>?

    /// The `daily_rollup` rows of `scope` on `days`.
    func dailyCells(scope: String?, days: ClosedRange<Int>) async throws -> [DailyCell]

    /// The regional scopes with an active or a new instance on some day.
    func regionalScopes() async throws -> [String]

    /// The `window_delta` rows of one window and `scope` on `days`, and per scope the sum of its
    /// rows before `days`.
    func windowCells(window: Int, scope: String?, days: ClosedRange<Int>) async throws -> (before: [String: Int], cells: [WindowCell])

    /// The `retention_weeks` rows of the cohorts in `cohorts` with at least one instance.
    func retentionCells(cohorts: ClosedRange<Int>) async throws -> [RetentionCell]

    /// The `days_seen_delta` rows on `days`, and per count the sum of its rows before `days`.
    func daysSeenCells(days: ClosedRange<Int>) async throws -> (before: [Int: Int], cells: [DaysSeenCell])

    /// Instances by their last active day, for the days in `days`: those whose latest region is
    /// `region`, or all.
    func instancesByLastDay(days: ClosedRange<Int>, region: String?) async throws -> [Int: Int]

    /// Instances by their latest region (`nil`: none) and their last active day, for the days in `days`.
    func instancesByRegionAndLastDay(days: ClosedRange<Int>) async throws -> [(region: String?, day: Int, count: Int)]
}
