/// Pings summed per (instance, day), for imports: count, first and last time, first region named.
public struct DayAggregate: Hashable, Sendable {
    public let instanceID: InstanceID
    public let day: UTCDay
    public var region: Region?
    public var firstSeenMilliseconds: Int64
    public var lastSeenMilliseconds: Int64
    public var pings: Int

    public init(_ ping: Ping) {
        instanceID = ping.instanceID
        day = ping.day
        region = ping.region
        firstSeenMilliseconds = ping.receivedAtMilliseconds
        lastSeenMilliseconds = ping.receivedAtMilliseconds
        pings = 1
    }

    /// Adds a ping of the same instance and day; the earliest ping's region wins, an unknown one is filled in.
    public mutating func add(_ ping: Ping) {
        if ping.receivedAtMilliseconds < firstSeenMilliseconds {
            firstSeenMilliseconds = ping.receivedAtMilliseconds
            region = ping.region ?? region
        } else if region == nil {
            region = ping.region
        }
        lastSeenMilliseconds = max(lastSeenMilliseconds, ping.receivedAtMilliseconds)
        pings += 1
    }
}

extension [DayAggregate] {
    /// Sorted by instance, and each instance's days oldest first: the order a merge is applied in
    /// (an older day only fills in an unknown region, so the order decides which one does).
    public func sortedByInstanceAndDay() -> [DayAggregate] {
        sorted { ($0.instanceID.rawValue, $0.day) < ($1.instanceID.rawValue, $1.day) }
    }
}
