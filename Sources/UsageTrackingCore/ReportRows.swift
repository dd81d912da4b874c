/// A count of instances on one day.
public struct DayCount: Hashable, Sendable {
    public let day: UTCDay
    public let count: Int

    public init(day: UTCDay, count: Int) {
        self.day = day
        self.count = count
    }
}

/// One region's activity: instances active over 1, 7 and 28 days ending on the report's last
/// day, instances first seen in the range, and pings in the range.
public struct RegionActivity: Hashable, Sendable {
    /// A region code, or `unknown` for pings that named none.
    public let region: String
    public let active1d: Int
    public let active7d: Int
    public let active28d: Int
    public let new: Int
    public let pings: Int

    public init(region: String, active1d: Int, active7d: Int, active28d: Int, new: Int, pings: Int) {
        self.region = region
        self.active1d = active1d
        self.active7d = active7d
        self.active28d = active28d
        self.new = new
        self.pings = pings
    }
}

/// One weekly cohort: the instances first seen in the ISO week starting on `week`, and how many
/// of them were active in that week and each following one (`active[0]` is the cohort itself).
public struct RetentionCohort: Hashable, Sendable {
    public let week: UTCDay
    public let instances: Int
    public let active: [Int]

    public init(week: UTCDay, instances: Int, active: [Int]) {
        self.week = week
        self.instances = instances
        self.active = active
    }

    /// The share of the cohort active `weeksAfter` weeks after its first week.
    public func share(_ weeksAfter: Int) -> Double {
        instances == 0 ? 0 : Double(active[weeksAfter]) / Double(instances)
    }
}
