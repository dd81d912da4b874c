import UsageTrackingCore

/// What is stored about one instance: `GET /v1/instances/<id>`.
public struct InstanceRecord: Hashable, Sendable, Codable {
    public struct Day: Hashable, Sendable, Codable {
        public let day: String
        public let region: String?
        public let firstSeen: String
        public let lastSeen: String
        public let pings: Int

        enum CodingKeys: String, CodingKey {
            case day, region, pings
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }

        public init(_ row: StoredDay) {
            self.day = UTCDay(daysSinceEpoch: row.day).iso8601
            self.region = row.region
            self.firstSeen = Timestamp.rfc3339(milliseconds: row.firstSeen)
            self.lastSeen = Timestamp.rfc3339(milliseconds: row.lastSeen)
            self.pings = row.pings
        }
    }

    public let instanceID: String
    public let region: String?
    public let firstActiveDay: String
    public let lastActiveDay: String
    public let days: [Day]

    enum CodingKeys: String, CodingKey {
        case region, days
        case instanceID = "instance_id"
        case firstActiveDay = "first_active_day"
        case lastActiveDay = "last_active_day"
    }

    /// The record of `instanceID` from its stored rows (`days` oldest first).
    public init(instanceID: InstanceID, instance: StoredInstance, days: [StoredDay]) {
        self.instanceID = instanceID.rawValue
        self.region = instance.region
        self.firstActiveDay = UTCDay(daysSinceEpoch: instance.firstDay).iso8601
        self.lastActiveDay = UTCDay(daysSinceEpoch: instance.lastDay).iso8601
        self.days = days.map(Day.init)
    }
}
