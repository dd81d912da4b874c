import GRDB
import UsageTrackingCore

/// Changes to the report rollups (see ``SQLiteRollups``), summed per rollup row in memory.
///
/// Scopes are numbered as they first appear, so the sums are keyed by integers: a rebuild adds
/// every stored row here, and hashing the scope's name several times per row was most of its cost.
struct RollupChanges {
    struct CohortWeek: Hashable {
        var cohort: Int
        var week: Int
    }

    struct Daily: AdditiveArithmetic {
        var active = 0
        var pings = 0

        static var zero: Daily { Daily() }

        static func + (lhs: Daily, rhs: Daily) -> Daily {
            Daily(active: lhs.active + rhs.active, pings: lhs.pings + rhs.pings)
        }

        static func - (lhs: Daily, rhs: Daily) -> Daily {
            Daily(active: lhs.active - rhs.active, pings: lhs.pings - rhs.pings)
        }
    }

    /// Scope names by number, and numbers by name.
    private(set) var scopes: [String] = []
    private var scopeNumbers: [String: Int] = [:]
    /// By scope number.
    private var daily: [DaySums<Daily>] = []
    /// By window (the index of its length in `SQLiteRollups.windows`), then scope number.
    private var windows: [[DaySums<Int>]] = SQLiteRollups.windows.map { _ in [] }
    private var retention: [CohortWeek: Int] = [:]
    /// `days_seen_delta` by count (`seen[s - 1]`), per day.
    private var seen: [DaySums<Int>] = Array(repeating: DaySums(), count: DaysSeen.window)

    /// A row's regional scope: its region, or `unknown`.
    static func scope(_ region: String?) -> String { region ?? "unknown" }

    /// The Monday that starts the ISO week of a day number.
    static func monday(_ day: Int) -> Int { UTCDay(daysSinceEpoch: day).startOfWeek.daysSinceEpoch }

    /// The number of a scope, numbering it if it is new.
    mutating func number(ofScope scope: String) -> Int {
        if let number = scopeNumbers[scope] { return number }
        scopes.append(scope)
        scopeNumbers[scope] = scopes.count - 1
        daily.append(DaySums())
        for index in windows.indices { windows[index].append(DaySums()) }
        return scopes.count - 1
    }

    mutating func addPings(day: Int, scope: String, _ pings: Int) {
        guard pings != 0 else { return }
        daily[number(ofScope: scope)].add(Daily(pings: pings), on: day)
    }

    mutating func membership(day: Int, scope: String, pings: Int, previous: Int?, next: Int?, sign: Int) {
        membership(day: day, scope: number(ofScope: scope), pings: pings, previous: previous, next: next, sign: sign)
    }

    /// Counts an instance first seen on `firstDay` as active in the week of `day` (call once per
    /// instance and week).
    mutating func activeInWeek(firstDay: Int, day: Int) {
        retention[CohortWeek(cohort: Self.monday(firstDay), week: Self.monday(day)), default: 0] += 1
    }

    /// Adds entries to the 28-day counts (`days_seen_delta`).
    mutating func daysSeen(_ entries: [DaysSeen.Delta]) {
        for entry in entries {
            seen[entry.seen - 1].add(entry.delta, on: entry.day)
        }
    }

    /// Adds (`sign` 1) or removes (-1) a day's membership in one scope: the daily count, and the
    /// windows it newly covers between the instance's neighbouring days `previous` and `next` in
    /// that scope: [max(day, previous + W), min(day + W - 1, next - 1)].
    mutating func membership(day: Int, scope: Int, pings: Int, previous: Int?, next: Int?, sign: Int) {
        daily[scope].add(Daily(active: sign, pings: sign * pings), on: day)
        for (index, window) in SQLiteRollups.windows.enumerated() {
            let start = max(day, previous.map { $0 + window } ?? day)
            let end = min(day + window - 1, (next ?? day + window) - 1)
            guard start <= end else { continue }
            windows[index][scope].add(sign, on: start)
            windows[index][scope].add(-sign, on: end + 1)
        }
    }

    /// Writes the sums, in each table's key order.
    func apply(_ db: Database) throws {
        let daily = try db.cachedStatement(sql: """
            INSERT INTO daily_rollup (scope, day, active, pings) VALUES (?, ?, ?, ?)
            ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings
            """)
        let scopesByName = scopes.indices.sorted { scopes[$0] < scopes[$1] }
        for scope in scopesByName {
            for (day, change) in self.daily[scope].nonZero() {
                try daily.execute(arguments: [scopes[scope], day, change.active, change.pings])
            }
        }
        let windows = try db.cachedStatement(sql: """
            INSERT INTO window_delta (window, scope, day, delta) VALUES (?, ?, ?, ?)
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta
            """)
        for index in SQLiteRollups.windows.indices.sorted(by: { SQLiteRollups.windows[$0] < SQLiteRollups.windows[$1] }) {
            for scope in scopesByName {
                for (day, delta) in self.windows[index][scope].nonZero() {
                    try windows.execute(arguments: [SQLiteRollups.windows[index], scopes[scope], day, delta])
                }
            }
        }
        let retention = try db.cachedStatement(sql: """
            INSERT INTO retention_weeks (cohort, week, instances) VALUES (?, ?, ?)
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances
            """)
        for (key, count) in self.retention.sorted(by: { ($0.key.cohort, $0.key.week) < ($1.key.cohort, $1.key.week) }) where count != 0 {
            try retention.execute(arguments: [key.cohort, key.week, count])
        }
        guard seen.contains(where: { !$0.nonZero().isEmpty }) else { return }
        let daysSeen = try db.cachedStatement(sql: """
            INSERT INTO days_seen_delta (seen, day, delta) VALUES (?, ?, ?)
            ON CONFLICT (seen, day) DO UPDATE SET delta = delta + excluded.delta
            """)
        for (index, sums) in seen.enumerated() {
            for (day, delta) in sums.nonZero() {
                try daysSeen.execute(arguments: [index + 1, day, delta])
            }
        }
    }
}
