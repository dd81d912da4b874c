import UsageTrackingCore

/// `actives`: distinct active instances per UTC day over a trailing window of 1, 7 or 28 days,
/// with each day's new instances and pings; `region` narrows it to one region.
public struct ActivesReport: Report {
    public static let name = "actives"
    public static let parameterNames = ["window", "region"]
    /// The windows it takes.
    public static let windows = [1, 7, 28]

    public var range: ReportRange
    public var window: Int
    public var region: Region?

    public init(range: ReportRange = ReportRange(), window: Int = 1, region: Region? = nil) {
        self.range = range
        self.window = window
        self.region = region
    }

    public init(_ parameters: ReportParameters) throws(InvalidInput) {
        try parameters.check(takes: Self.parameterNames)
        self.init(
            range: try parameters.range(),
            window: try parameters.number("window", in: Self.windows, refusal: InvalidInput(code: "invalid_window", detail: "window must be 1, 7 or 28 days.")) ?? 1,
            region: try parameters.region()
        )
    }

    /// One row per day from the first to the last day asked (days without activity included).
    public struct Result: Hashable, Sendable, Codable {
        public let window: Int
        public let days: [DailyActivity]
        /// With a region: per day, the active counts of every other regional scope
        /// (``RegionalPeers``); `nil` for all regions.
        public var peers: [[Int]]? = nil
        /// With a region: per day, the new instances of every other regional scope.
        public var newPeers: [[Int]]? = nil

        public init(window: Int, days: [DailyActivity], peers: [[Int]]? = nil, newPeers: [[Int]]? = nil) {
            self.window = window
            self.days = days
            self.peers = peers
            self.newPeers = newPeers
        }

        enum CodingKeys: String, CodingKey { case window, days }
    }

    public func compute(from reader: any RollupReader) async throws -> Result {
        let scope = region?.code ?? RollupChanges.allScope
        guard let days = try await range.days(in: reader, scope: scope) else { return Result(window: window, days: []) }
        let cells = Dictionary(uniqueKeysWithValues: try await reader.dailyCells(scope: scope, days: days).map { ($0.day, $0) })
        let actives: [Int]
        if window == 1 {
            actives = days.map { cells[$0]?.active ?? 0 }
        } else {
            let (before, entries) = try await reader.windowCells(window: window, scope: scope, days: days)
            actives = WindowActives.actives(before: before[scope] ?? 0, entries: entries.map { ($0.day, $0.delta) }, days: days)
        }
        var peers: [[Int]]?
        var newPeers: [[Int]]?
        if region != nil {
            let daily = try await reader.dailyCells(scope: nil, days: days)
            let regional = window == 1
                ? daily.map { (scope: $0.scope, day: $0.day, value: $0.active) }
                : try await RegionalPeers.windowActives(reader, window: window, days: days)
            peers = RegionalPeers.peers(of: scope, days: days, cells: regional)
            newPeers = RegionalPeers.peers(of: scope, days: days, cells: daily.map { (scope: $0.scope, day: $0.day, value: $0.new) })
        }
        return Result(window: window, days: zip(days, actives).map { day, active in
            DailyActivity(day: UTCDay(daysSinceEpoch: day), active: active, new: cells[day]?.new ?? 0, pings: cells[day]?.pings ?? 0)
        }, peers: peers, newPeers: newPeers)
    }
}
