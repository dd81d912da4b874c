import UsageStore
import UsageTrackingCore

/// The reports as the tests read them: each one through its definition (``Report``), as the API,
/// `stats` and the dashboard compute them.
extension UsageStore {
    public func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        try await report(ActivesReport(range: ReportRange(from: from, to: to), window: window, region: region)).days
    }

    public func newInstances(from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await report(NewInstancesReport(range: ReportRange(from: from, to: to), region: region)).days
    }

    public func churned(after: Int, from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await report(ChurnReport(range: ReportRange(from: from, to: to), after: after, region: region)).days
    }

    public func regions(from: UTCDay?, to: UTCDay?) async throws -> RegionsReport.Result {
        try await report(RegionsReport(range: ReportRange(from: from, to: to)))
    }

    public func retention(from: UTCDay?, to: UTCDay?) async throws -> [RetentionCohort] {
        try await report(RetentionReport(range: ReportRange(from: from, to: to))).cohorts
    }

    public func daysSeen(from: UTCDay?, to: UTCDay?) async throws -> [DaysSeenCounts] {
        try await report(DaysSeenReport(range: ReportRange(from: from, to: to))).days
    }
}
