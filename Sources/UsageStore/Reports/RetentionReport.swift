import UsageTrackingCore

/// `retention`: weekly cohorts (instances first seen in one ISO week) whose week starts from
/// `from` through `to`, each with its instances active in every week since, up to the last week stored.
public struct RetentionReport: Report {
    public static let name = "retention"
    public static let parameterNames = ["cohort"]

    public var range: ReportRange

    public init(range: ReportRange = ReportRange()) {
        self.range = range
    }

    public init(_ parameters: ReportParameters) throws(InvalidInput) {
        try parameters.check(takes: Self.parameterNames)
        if let cohort = parameters.value("cohort"), cohort != "week" {
            throw InvalidInput(code: "invalid_cohort", detail: "cohort must be week.")
        }
        self.init(range: try parameters.range())
    }

    public struct Result: Hashable, Sendable {
        public let cohorts: [RetentionCohort]
    }

    public func compute(from reader: any RollupReader) async throws -> Result {
        guard let stored = try await reader.activeDays(scope: RollupChanges.allScope) else { return Result(cohorts: []) }
        let start = (range.from ?? UTCDay(daysSinceEpoch: stored.lowerBound)).startOfWeek
        let end = (range.to ?? UTCDay(daysSinceEpoch: stored.upperBound)).startOfWeek
        let lastWeek = UTCDay(daysSinceEpoch: stored.upperBound).startOfWeek
        guard try ReportRange.bounded(start.daysSinceEpoch, end.daysSinceEpoch) != nil else { return Result(cohorts: []) }
        var cells: [Int: [Int: Int]] = [:]
        for cell in try await reader.retentionCells(cohorts: start.daysSinceEpoch...end.daysSinceEpoch) {
            cells[cell.cohort, default: [:]][cell.week] = cell.instances
        }
        return Result(cohorts: stride(from: start, through: end, by: 7).compactMap { cohort in
            guard let weeks = cells[cohort.daysSinceEpoch], let size = weeks[cohort.daysSinceEpoch] else { return nil }
            let active = stride(from: cohort, through: lastWeek, by: 7).map { weeks[$0.daysSinceEpoch] ?? 0 }
            return RetentionCohort(week: cohort, instances: size, active: active)
        })
    }
}
