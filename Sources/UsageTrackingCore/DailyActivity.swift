/// The activity of one UTC day: distinct instances active, instances seen for the first time, pings.
public struct DailyActivity: Hashable, Sendable, Codable {
    public let day: UTCDay
    /// Distinct instances active over the trailing window ending on `day`.
    public let active: Int
    /// Instances whose first day ever is `day`.
    public let new: Int
    /// Pings received on `day`.
    public let pings: Int

    public init(day: UTCDay, active: Int, new: Int, pings: Int) {
        self.day = day
        self.active = active
        self.new = new
        self.pings = pings
    }

    enum CodingKeys: String, CodingKey { case day, active, new, pings }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.day = try UTCDay(iso8601: container.decode(String.self, forKey: .day))
        self.active = try container.decode(Int.self, forKey: .active)
        self.new = try container.decode(Int.self, forKey: .new)
        self.pings = try container.decode(Int.self, forKey: .pings)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(day.iso8601, forKey: .day)
        try container.encode(active, forKey: .active)
        try container.encode(new, forKey: .new)
        try container.encode(pings, forKey: .pings)
    }
}
