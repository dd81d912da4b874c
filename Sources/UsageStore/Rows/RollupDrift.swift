import UsageTrackingCore

/// Every stored rollup row, as ``RowSnapshot/storedRollups()`` reads them.
public struct StoredRollups: Sendable {
    public var daily: [DailyCell] = []
    public var windows: [WindowCell] = []
    public var retention: [RetentionCell] = []
    public var daysSeen: [DaysSeenCell] = []

    public init(daily: [DailyCell] = [], windows: [WindowCell] = [], retention: [RetentionCell] = [], daysSeen: [DaysSeenCell] = []) {
        self.daily = daily
        self.windows = windows
        self.retention = retention
        self.daysSeen = daysSeen
    }
}

/// One rollup cell whose stored value is not what the rows give (`usage-collector verify`).
public struct RollupDrift: Hashable, Sendable, CustomStringConvertible {
    /// The rollup table and the cell's key, e.g. `daily_rollup scope=us-west-2 day=2026-11-29`.
    public let cell: String
    /// Each value that differs: its name, the stored value and the one the rows give.
    public let values: [(name: String, stored: Int, rows: Int)]

    public var description: String {
        cell + ": " + values.map { "\($0.name) stored \($0.stored), rows give \($0.rows)" }.joined(separator: "; ")
    }

    public static func == (lhs: RollupDrift, rhs: RollupDrift) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// The cells where `stored` and `rebuilt` differ, in table and key order; a missing row counts as zeros.
    public static func between(stored: StoredRollups, rebuilt: RollupChanges) -> [RollupDrift] {
        func day(_ number: Int) -> String { UTCDay(daysSinceEpoch: number).iso8601 }
        var drifts: [RollupDrift] = []
        func compare<Key: Hashable & Comparable>(
            _ table: String, stored: [Key: [Int]], rows: [Key: [Int]], names: [String], key describe: (Key) -> String
        ) {
            for key in Set(stored.keys).union(rows.keys).sorted() {
                let a = stored[key] ?? names.map { _ in 0 }
                let b = rows[key] ?? names.map { _ in 0 }
                let differing = names.indices.filter { a[$0] != b[$0] }.map { (names[$0], a[$0], b[$0]) }
                if !differing.isEmpty { drifts.append(RollupDrift(cell: "\(table) \(describe(key))", values: differing)) }
            }
        }
        struct ScopeDay: Hashable, Comparable {
            let scope: String, day: Int
            static func < (l: Self, r: Self) -> Bool { (l.scope, l.day) < (r.scope, r.day) }
        }
        struct WindowKey: Hashable, Comparable {
            let window: Int, scope: String, day: Int
            static func < (l: Self, r: Self) -> Bool { (l.window, l.scope, l.day) < (r.window, r.scope, r.day) }
        }
        struct Pair: Hashable, Comparable {
            let a: Int, b: Int
            static func < (l: Self, r: Self) -> Bool { (l.a, l.b) < (r.a, r.b) }
        }
        func nonzero<Key>(_ pairs: [(Key, [Int])]) -> [Key: [Int]] {
            var result: [Key: [Int]] = [:]
            for (key, values) in pairs {
                let sum = zip(result[key] ?? values.map { _ in 0 }, values).map(+)
                result[key] = sum
            }
            return result.filter { $0.value.contains { $0 != 0 } }
        }
        compare(
            "daily_rollup",
            stored: nonzero(stored.daily.map { (ScopeDay(scope: $0.scope, day: $0.day), [$0.active, $0.pings, $0.new]) }),
            rows: nonzero(rebuilt.dailyCells.map { (ScopeDay(scope: $0.scope, day: $0.day), [$0.active, $0.pings, $0.new]) }),
            names: ["active", "pings", "new"], key: { "scope=\($0.scope) day=\(day($0.day))" }
        )
        compare(
            "window_delta",
            stored: nonzero(stored.windows.map { (WindowKey(window: $0.window, scope: $0.scope, day: $0.day), [$0.delta]) }),
            rows: nonzero(rebuilt.windowCells.map { (WindowKey(window: $0.window, scope: $0.scope, day: $0.day), [$0.delta]) }),
            names: ["delta"], key: { "window=\($0.window) scope=\($0.scope) day=\(day($0.day))" }
        )
        compare(
            "retention_weeks",
            stored: nonzero(stored.retention.map { (Pair(a: $0.cohort, b: $0.week), [$0.instances]) }),
            rows: nonzero(rebuilt.retentionCells.map { (Pair(a: $0.cohort, b: $0.week), [$0.instances]) }),
            names: ["instances"], key: { "cohort=\(day($0.a)) week=\(day($0.b))" }
        )
        compare(
            "days_seen_delta",
            stored: nonzero(stored.daysSeen.map { (Pair(a: $0.seen, b: $0.day), [$0.delta]) }),
            rows: nonzero(rebuilt.daysSeenCells.map { (Pair(a: $0.seen, b: $0.day), [$0.delta]) }),
            names: ["delta"], key: { "seen=\($0.a) day=\(day($0.b))" }
        )
        return drifts
    }
}
