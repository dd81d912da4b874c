/// Changes to the report rollups, summed per rollup row in memory; a store writes them once, in
/// each table's key order, with ``dailyCells``, ``windowCells``, ``retentionCells`` and
/// ``daysSeenCells`` (each added to the stored row of the same key).
///
/// Scopes are numbered as they first appear, so the sums are keyed by integers: a rebuild adds
/// every stored row here, and hashing the scope's name several times per row was most of its cost.
public struct RollupChanges: Sendable {
    struct Daily: AdditiveArithmetic, Sendable {
        var active = 0
        var pings = 0
        var new = 0

        static var zero: Daily { Daily() }

        static func + (lhs: Daily, rhs: Daily) -> Daily {
            Daily(active: lhs.active + rhs.active, pings: lhs.pings + rhs.pings, new: lhs.new + rhs.new)
        }

        static func - (lhs: Daily, rhs: Daily) -> Daily {
            Daily(active: lhs.active - rhs.active, pings: lhs.pings - rhs.pings, new: lhs.new - rhs.new)
        }
    }

    struct CohortWeek: Hashable, Sendable {
        var cohort: Int
        var week: Int
    }

    /// The scope of all regions.
    public static let allScope = "*"

    /// The scope of the regions not in today's catalog (``Region/catalog``).
    public static let otherScope = "other"

    /// A row's regional scope: its region when it is one of today's regions, `other` for a code
    /// that only has a region's shape (a region launched since, or made up), `unknown` for none.
    /// Counting made-up codes under one scope keeps what one client can add to the reports to
    /// one row per day, however many codes it invents; the rows keep the code, so a rebuild with
    /// a newer catalog names a new region (``RollupContribution/rulesVersion``).
    public static func scope(_ region: String?) -> String {
        guard let region else { return "unknown" }
        return Region.catalog.contains(region) ? region : otherScope
    }

    /// Scope names by number, and numbers by name.
    private var scopes: [String] = []
    private var scopeNumbers: [String: Int] = [:]
    /// By scope number.
    private var daily: [DaySums<Daily>] = []
    /// By window (its index in `WindowActives.windows`), then scope number.
    private var windows: [[DaySums<Int>]] = WindowActives.windows.map { _ in [] }
    private var retention: [CohortWeek: Int] = [:]
    /// By count (`seen[s - 1]`).
    private var seen: [DaySums<Int>] = Array(repeating: DaySums(), count: DaysSeen.window)

    public init() {}

    /// The number of a scope, numbering it if it is new.
    public mutating func number(ofScope scope: String) -> Int {
        if let number = scopeNumbers[scope] { return number }
        scopes.append(scope)
        scopeNumbers[scope] = scopes.count - 1
        daily.append(DaySums())
        for index in windows.indices { windows[index].append(DaySums()) }
        return scopes.count - 1
    }

    /// Adds to a day's active instances and pings in a scope (by number).
    @inline(__always)
    mutating func addDaily(day: Int, scope: Int, active: Int, pings: Int) {
        daily[scope].add(Daily(active: active, pings: pings), on: day)
    }

    /// Adds to the instances first seen on `day` in a scope.
    mutating func addNew(day: Int, scope: String, _ count: Int) {
        daily[number(ofScope: scope)].add(Daily(new: count), on: day)
    }

    /// Adds a day's two window entries (``WindowActives/entries(day:previous:window:)``), times `sign`.
    @inline(__always)
    mutating func addWindowEntries(day: Int, previous: Int?, scope: Int, sign: Int) {
        for (index, window) in WindowActives.windows.enumerated() {
            let (start, end) = WindowActives.entries(day: day, previous: previous, window: window)
            windows[index][scope].add(sign, on: start)
            windows[index][scope].add(-sign, on: end)
        }
    }

    /// Adds to the instances of a cohort active in a week (both Mondays).
    mutating func addRetention(cohort: Int, week: Int, _ count: Int) {
        retention[CohortWeek(cohort: cohort, week: week), default: 0] += count
    }

    /// Adds entries to the 28-day counts, times `sign`.
    mutating func addDaysSeen(_ entries: [DaysSeen.Delta], sign: Int) {
        for entry in entries {
            seen[entry.seen - 1].add(sign * entry.delta, on: entry.day)
        }
    }

    // MARK: The rows to write

    /// Scope numbers in the order of the scopes' names.
    private var scopesByName: [Int] { scopes.indices.sorted { scopes[$0] < scopes[$1] } }

    /// `daily_rollup` changes, by (scope, day).
    public var dailyCells: [DailyCell] {
        scopesByName.flatMap { scope in
            daily[scope].nonZero().map { DailyCell(scope: scopes[scope], day: $0.day, active: $0.sum.active, pings: $0.sum.pings, new: $0.sum.new) }
        }
    }

    /// `window_delta` changes, by (window, scope, day).
    public var windowCells: [WindowCell] {
        let byName = scopesByName
        return WindowActives.windows.indices.sorted { WindowActives.windows[$0] < WindowActives.windows[$1] }.flatMap { index in
            byName.flatMap { scope in
                windows[index][scope].nonZero().map { WindowCell(window: WindowActives.windows[index], scope: scopes[scope], day: $0.day, delta: $0.sum) }
            }
        }
    }

    /// `retention_weeks` changes, by (cohort, week).
    public var retentionCells: [RetentionCell] {
        retention.filter { $0.value != 0 }
            .map { RetentionCell(cohort: $0.key.cohort, week: $0.key.week, instances: $0.value) }
            .sorted { ($0.cohort, $0.week) < ($1.cohort, $1.week) }
    }

    /// `days_seen_delta` changes, by (seen, day).
    public var daysSeenCells: [DaysSeenCell] {
        seen.indices.flatMap { index in seen[index].nonZero().map { DaysSeenCell(seen: index + 1, day: $0.day, delta: $0.sum) } }
    }
}
