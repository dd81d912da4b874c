/// The rows of the report rollups, as both stores keep them and as a change to them is written
/// (an added row is summed into the stored one). A `scope` is `*` for all regions, a region code,
/// or `unknown` for days that named none.

/// `daily_rollup`: on `day`, the distinct instances active in `scope`, their pings, and the
/// instances first seen that day whose latest region is `scope` (all of them for `*`).
public struct DailyCell: Hashable, Sendable {
    public var scope: String
    public var day: Int
    public var active: Int
    public var pings: Int
    public var new: Int

    public init(scope: String, day: Int, active: Int, pings: Int, new: Int) {
        self.scope = scope
        self.day = day
        self.active = active
        self.pings = pings
        self.new = new
    }
}

/// `window_delta`: one entry of a window's difference array (``WindowActives``).
public struct WindowCell: Hashable, Sendable {
    public var window: Int
    public var scope: String
    public var day: Int
    public var delta: Int

    public init(window: Int, scope: String, day: Int, delta: Int) {
        self.window = window
        self.scope = scope
        self.day = day
        self.delta = delta
    }
}

/// `retention_weeks`: instances first seen in the ISO week starting on `cohort` that were active
/// in the week starting on `week` (both Mondays, as day numbers).
public struct RetentionCell: Hashable, Sendable {
    public var cohort: Int
    public var week: Int
    public var instances: Int

    public init(cohort: Int, week: Int, instances: Int) {
        self.cohort = cohort
        self.week = week
        self.instances = instances
    }
}

/// `days_seen_delta`: one entry of the difference array of the instances seen on `seen` of the
/// 28 days ending on a day (``DaysSeen``).
public typealias DaysSeenCell = DaysSeen.Delta
