import UsageTrackingCore

/// `new`: instances whose first day ever is each day; with `region`, those whose latest region it is.
public struct NewInstancesReport: Report {
    public static let name = "new"
    public static let parameterNames = ["region"]

    public var range: ReportRange
    public var region: Region?

    public init(range: ReportRange = ReportRange(), region: Region? = nil) {
        self.range = range
        self.region = region
    }

    public init(_ parameters: ReportParameters) throws(InvalidInput) {
        try parameters.check(takes: Self.parameterNames)
        self.init(range: try parameters.range(), region: try parameters.region())
    }

    public struct Result: Hashable, Sendable {
        public let days: [DayCount]
        /// With a region: per day, the new instances of every other regional scope (``RegionalPeers``).
        public let peers: [[Int]]?
    }

    public func compute(from reader: any RollupReader) async throws -> Result {
        let scope = region?.code ?? RollupChanges.allScope
        guard let days = try await range.days(in: reader, scope: scope) else { return Result(days: [], peers: nil) }
        let cells = Dictionary(uniqueKeysWithValues: try await reader.dailyCells(scope: scope, days: days).map { ($0.day, $0.new) })
        let peers = region == nil ? nil : RegionalPeers.peers(
            of: scope, days: days, cells: try await reader.dailyCells(scope: nil, days: days).map { (scope: $0.scope, day: $0.day, value: $0.new) }
        )
        return Result(days: days.map { DayCount(day: UTCDay(daysSinceEpoch: $0), count: cells[$0] ?? 0) }, peers: peers)
    }
}
