import ServiceLifecycle
import UsageTrackingCore

/// Where pings are kept: per (instance, UTC day) the region, first and last receipt time and ping
/// count; per instance its first and last active day. Nothing else.
///
/// Every backend passes the same conformance suite (`UsageStoreConformanceTests`, and the brute-force `ReportOracleTests`).
public protocol UsageStore: Sendable {
    /// Stores the pings in one transaction and returns only once it is durably committed.
    ///
    /// Writes are idempotent per (instance, day): a second ping on the same day adds to that
    /// day's count and times, never a second row. Outcomes are in the order of `pings`.
    func record(_ pings: [Ping]) async throws -> [RecordOutcome]

    /// Merges imported per-day aggregates in one transaction, idempotently: each (instance, day)
    /// keeps the larger ping count, the earlier first and later last time, and its first known
    /// region, so importing the same data twice changes nothing.
    func merge(_ days: [DayAggregate]) async throws -> MergeSummary

    /// Runs `load`, which merges many batches, in the fastest way the backend has (SQLite turns its
    /// rollup triggers off and rebuilds the rollups once at the end).
    func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeSummary) async throws -> Void) async throws

    /// Services that must run while the store is used (a connection pool), started before and
    /// stopped after whatever uses the store.
    var services: [any Service] { get }

    /// Runs `body` against one consistent snapshot of the report rollups, which hold every ping
    /// acknowledged before the call (the journal is folded first). Every report is assembled from
    /// it, the same way for every store (``RollupReports``).
    func readRollups<T: Sendable>(_ body: @Sendable (any RollupReader) async throws -> T) async throws -> T

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

/// What a merge did: (instance, day) rows added, rows that grew, rows already holding as much.
public struct MergeSummary: Hashable, Sendable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }

    public static func + (lhs: MergeSummary, rhs: MergeSummary) -> MergeSummary {
        MergeSummary(inserted: lhs.inserted + rhs.inserted, updated: lhs.updated + rhs.updated, unchanged: lhs.unchanged + rhs.unchanged)
    }
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

    public func bulkMerge(_ load: (_ merge: @escaping @Sendable ([DayAggregate]) async throws -> MergeSummary) async throws -> Void) async throws {
        try await load { batch in try await self.merge(batch) }
    }

    public var services: [any Service] { [] }
}

// MARK: Reports

extension UsageStore {
    /// Activity per UTC day from `from` through `to` (both inclusive), oldest first, one row per
    /// day including days without activity. `nil` bounds default to the first and last day stored.
    /// `active` counts distinct instances over the trailing `window` days ending on each day.
    public func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        try await readRollups { try await RollupReports(reader: $0).dailyActivity(from: from, to: to, window: window, region: region) }
    }

    /// Instances whose first day is each day from `from` through `to` (defaults: the days stored).
    /// With `region`, instances whose latest region it is.
    public func newInstances(from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await readRollups { try await RollupReports(reader: $0).newInstances(from: from, to: to, region: region) }
    }

    /// For each day D from `from` through `to`, instances whose last active day is D − `after`:
    /// last seen `after` days before and not since. Days after the last day stored are left out,
    /// since "not since" is not known for them yet.
    public func churned(after: Int, from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        try await readRollups { try await RollupReports(reader: $0).churned(after: after, from: from, to: to, region: region) }
    }

    /// Per region (and `unknown`): actives over 1, 7 and 28 days ending on `to`, new instances and
    /// pings from `from` through `to`.
    public func regions(from: UTCDay?, to: UTCDay?) async throws -> RegionsReport {
        try await readRollups { try await RollupReports(reader: $0).regions(from: from, to: to) }
    }

    /// Weekly cohorts whose first week starts from `from` through `to`, each with its instances
    /// active in every week since, up to the last week stored.
    public func retention(from: UTCDay?, to: UTCDay?) async throws -> [RetentionCohort] {
        try await readRollups { try await RollupReports(reader: $0).retention(from: from, to: to) }
    }

    /// For each day from `from` through `to` (defaults: the days stored), the instances active in
    /// the 28 days ending on it by how many of those days they were seen on (``DaysSeen``).
    public func daysSeen(from: UTCDay?, to: UTCDay?) async throws -> [DaysSeenCounts] {
        try await readRollups { try await RollupReports(reader: $0).daysSeen(from: from, to: to) }
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
