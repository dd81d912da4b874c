/// One (instance, UTC day) row as both stores keep it. Days are counted since 1970-01-01;
/// times are milliseconds since the epoch.
public struct StoredDay: Hashable, Sendable {
    public var day: Int
    /// The first region named for the day (a later ping fills in an unknown one).
    public var region: String?
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var pings: Int

    public init(day: Int, region: String?, firstSeen: Int64, lastSeen: Int64, pings: Int) {
        self.day = day
        self.region = region
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.pings = pings
    }

    /// Every day a store can hold (its day columns are 32-bit).
    public static let allDays = Int(Int32.min)...Int(Int32.max)

    /// One ping received at `milliseconds` on `day`.
    public init(ping day: Int, region: String?, at milliseconds: Int64) {
        self.init(day: day, region: region, firstSeen: milliseconds, lastSeen: milliseconds, pings: 1)
    }
}

/// One instance's summary row: its first and last active day and its latest region.
public struct StoredInstance: Hashable, Sendable {
    public var firstDay: Int
    public var lastDay: Int
    public var region: String?

    public init(firstDay: Int, lastDay: Int, region: String?) {
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.region = region
    }
}
