import UsageTrackingCore

/// `days-seen`: per day, the instances active in the 28 days ending on it, grouped by how many
/// of those days they were seen on (``DaysSeen/buckets``), and the regular instances (seen on at
/// least 21). A cluster that keeps reporting the same instance ID is seen on every day; IDs seen
/// once or a few times are mostly nodes that came and went (docs/counting-deployments.md).
public struct DaysSeenReport: Report {
    public static let name = "days-seen"
    public static let parameterNames: [String] = []

    public var range: ReportRange

    public init(range: ReportRange = ReportRange()) {
        self.range = range
    }

    public init(_ parameters: ReportParameters) throws(InvalidInput) {
        try parameters.check(takes: Self.parameterNames)
        self.init(range: try parameters.range())
    }

    public struct Result: Hashable, Sendable {
        public let days: [DaysSeenCounts]

        public init(days: [DaysSeenCounts]) {
            self.days = days
        }
    }

    public func compute(from reader: any RollupReader) async throws -> Result {
        guard let days = try await range.days(in: reader) else { return Result(days: []) }
        let (before, cells) = try await reader.daysSeenCells(days: days)
        // What came before the range, summed, as if on the day before it; then the range.
        let entries = before.map { (seen: $0.key, day: days.lowerBound - 1, delta: $0.value) }
            + cells.sorted { $0.day < $1.day }.map { (seen: $0.seen, day: $0.day, delta: $0.delta) }
        return Result(days: DaysSeenCounts.prefixSums(entries, from: UTCDay(daysSinceEpoch: days.lowerBound), to: UTCDay(daysSinceEpoch: days.upperBound)))
    }
}
