import UsageTrackingCore

/// `churned`: for each day D, instances whose last ping was on D − `after` and none since. Days
/// after the last day stored are left out: "none since" is not known for them yet.
public struct ChurnReport: Report {
    public static let name = "churned"
    public static let parameterNames = ["region", "after"]
    public static let afterDays = 1...3650

    public var range: ReportRange
    public var after: Int
    public var region: Region?

    public init(range: ReportRange = ReportRange(), after: Int = 30, region: Region? = nil) {
        self.range = range
        self.after = after
        self.region = region
    }

    public init(_ parameters: ReportParameters) throws(InvalidInput) {
        try parameters.check(takes: Self.parameterNames)
        self.init(
            range: try parameters.range(),
            after: try parameters.number("after", in: Self.afterDays, refusal: InvalidInput(code: "invalid_after", detail: "after must be a number of days from 1 to 3650.")) ?? 30,
            region: try parameters.region()
        )
    }

    public struct Result: Hashable, Sendable {
        public let after: Int
        public let days: [DayCount]
        /// With a region: per day, the churned instances of every other regional scope (``RegionalPeers``).
        public let peers: [[Int]]?
    }

    public func compute(from reader: any RollupReader) async throws -> Result {
        // "Not since" is known only up to the last day anything was stored.
        guard let stored = try await reader.activeDays(scope: RollupChanges.allScope) else { return Result(after: after, days: [], peers: nil) }
        let start = range.from?.daysSinceEpoch ?? stored.lowerBound + after
        let end = min(range.to?.daysSinceEpoch ?? stored.upperBound, stored.upperBound)
        guard let days = try ReportRange.bounded(start, end) else { return Result(after: after, days: [], peers: nil) }
        let lastDays = (days.lowerBound - after)...(days.upperBound - after)
        let counts = try await reader.instancesByLastDay(days: lastDays, region: region?.code)
        var peers: [[Int]]?
        if let region {
            let regional = try await reader.instancesByRegionAndLastDay(days: lastDays).map {
                (scope: RollupChanges.scope($0.region), day: $0.day + after, value: $0.count)
            }
            // Codes outside the catalog are one scope, `other`: their counts add up.
            var summed: [String: [Int: Int]] = [:]
            for cell in regional { summed[cell.scope, default: [:]][cell.day, default: 0] += cell.value }
            peers = RegionalPeers.peers(of: region.code, days: days, cells: summed.flatMap { scope, days in days.map { (scope, $0.key, $0.value) } })
        }
        return Result(after: after, days: days.map { DayCount(day: UTCDay(daysSinceEpoch: $0), count: counts[$0 - after] ?? 0) }, peers: peers)
    }
}
