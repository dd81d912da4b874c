import UsageTrackingCore

/// `regions`: per region (and `unknown` for pings that named none), instances active over 1, 7
/// and 28 days ending on the last day, and new instances and pings over the days asked.
public struct RegionsReport: Report {
    public static let name = "regions"
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
        public let from: UTCDay?
        public let to: UTCDay?
        /// The most active (over 28 days) first.
        public let regions: [RegionActivity]

        public init(from: UTCDay?, to: UTCDay?, regions: [RegionActivity]) {
            self.from = from
            self.to = to
            self.regions = regions
        }
    }

    public func compute(from reader: any RollupReader) async throws -> Result {
        guard let days = try await range.days(in: reader) else {
            return Result(from: range.from, to: range.to, regions: [])
        }
        let end = days.upperBound
        var totals: [String: (pings: Int, new: Int)] = [:]
        var lastDay: [String: Int] = [:]
        for cell in try await reader.dailyCells(scope: nil, days: days) {
            totals[cell.scope, default: (0, 0)].pings += cell.pings
            totals[cell.scope, default: (0, 0)].new += cell.new
            if cell.day == end { lastDay[cell.scope] = cell.active }
        }
        var windows: [Int: [String: Int]] = [:]
        for window in WindowActives.windows {
            let (before, cells) = try await reader.windowCells(window: window, scope: nil, days: end...end)
            windows[window] = cells.reduce(into: before) { $0[$1.scope, default: 0] += $1.delta }
        }
        var rows: [RegionActivity] = []
        for scope in try await reader.regionalScopes() {
            let row = RegionActivity(
                region: scope, active1d: lastDay[scope] ?? 0, active7d: windows[7]?[scope] ?? 0, active28d: windows[28]?[scope] ?? 0,
                new: totals[scope]?.new ?? 0, pings: totals[scope]?.pings ?? 0
            )
            if row.active28d > 0 || row.new > 0 || row.pings > 0 { rows.append(row) }
        }
        rows.sort { ($0.active28d, $1.region) > ($1.active28d, $0.region) }
        return Result(from: UTCDay(daysSinceEpoch: days.lowerBound), to: UTCDay(daysSinceEpoch: end), regions: rows)
    }
}
