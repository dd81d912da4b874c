import UsageTrackingCore

/// Where pings are kept: per (instance, UTC day) the region, first and last receipt time and ping
/// count; per instance its first and last active day. Nothing else.
///
/// Every backend passes the same conformance suite (`UsageStoreConformance` in the tests).
public protocol UsageStore: Sendable {
    /// Stores the pings in one transaction and returns only once it is durably committed.
    ///
    /// Writes are idempotent per (instance, day): a second ping on the same day adds to that
    /// day's count and times, never a second row. Outcomes are in the order of `pings`.
    func record(_ pings: [Ping]) async throws -> [RecordOutcome]

    /// Activity per UTC day from `from` through `to` (both inclusive), oldest first, one row per
    /// day including days without activity. `nil` bounds default to the first and last day stored.
    /// `active` counts distinct instances over the trailing `window` days ending on each day.
    func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity]

    /// Everything held about one instance, or `nil` when nothing is.
    func instanceSummary(_ instanceID: InstanceID) async throws -> InstanceSummary?

    /// Erases every row of one instance and leaves no trace of it in the database files;
    /// returns how many rows were removed (0 when nothing was held).
    func forget(_ instanceID: InstanceID) async throws -> Int

    /// Removes per-day rows older than `days` days before `today`: a row exactly `days` days old
    /// stays. Instances left without rows are removed; the others' first day is recomputed.
    func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeSummary

    /// Throws when the store cannot currently serve reads and writes.
    func checkReadiness() async throws
}

/// What a purge removed.
public struct PurgeSummary: Hashable, Sendable {
    /// Days before this one were removed.
    public let cutoff: UTCDay
    public let dayRows: Int
    public let instances: Int

    public init(cutoff: UTCDay, dayRows: Int, instances: Int) {
        self.cutoff = cutoff
        self.dayRows = dayRows
        self.instances = instances
    }
}

extension UsageStore {
    /// Stores one ping; see ``record(_:)-(_:[Ping])``.
    public func record(_ ping: Ping) async throws -> RecordOutcome {
        try await record([ping])[0]
    }
}

/// What is stored about one instance.
public struct InstanceSummary: Hashable, Sendable, Codable {
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

        public init(day: UTCDay, region: String?, firstSeenMilliseconds: Int64, lastSeenMilliseconds: Int64, pings: Int) {
            self.day = day.iso8601
            self.region = region
            self.firstSeen = Timestamp.rfc3339(milliseconds: firstSeenMilliseconds)
            self.lastSeen = Timestamp.rfc3339(milliseconds: lastSeenMilliseconds)
            self.pings = pings
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

    public init(instanceID: String, region: String?, firstActiveDay: UTCDay, lastActiveDay: UTCDay, days: [Day]) {
        self.instanceID = instanceID
        self.region = region
        self.firstActiveDay = firstActiveDay.iso8601
        self.lastActiveDay = lastActiveDay.iso8601
        self.days = days
    }
}

/// A failure of the storage layer. Its text is for logs, never for clients.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static let shutDown = StoreError("the store is shutting down and accepts no more pings")
}
