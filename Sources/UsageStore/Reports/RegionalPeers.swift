import UsageTrackingCore

/// For a report of one region, the same counts of every other regional scope (the other regions,
/// `other`, `unknown`) on each day: what a reader could subtract from the all-regions total to
/// compute back a count the report hides. The edge that hides small counts hides one more of
/// these when only one would be hidden (``Report`` results carry them; `SmallCounts` uses them).
public enum RegionalPeers {
    /// Per day of `days`, the values of `cells` (scope, day, value) of every scope but `scope`.
    static func peers(of scope: String, days: ClosedRange<Int>, cells: [(scope: String, day: Int, value: Int)]) -> [[Int]] {
        var byDay: [Int: [Int]] = [:]
        for cell in cells where cell.scope != scope && cell.scope != RollupChanges.allScope && cell.value != 0 {
            byDay[cell.day, default: []].append(cell.value)
        }
        return days.map { byDay[$0] ?? [] }
    }

    /// Per day of `days`, the trailing-window actives of every regional scope, from the window rows.
    static func windowActives(_ reader: any RollupReader, window: Int, days: ClosedRange<Int>) async throws -> [(scope: String, day: Int, value: Int)] {
        let (before, cells) = try await reader.windowCells(window: window, scope: nil, days: days)
        var entries: [String: [(Int, Int)]] = [:]
        for cell in cells { entries[cell.scope, default: []].append((cell.day, cell.delta)) }
        var result: [(scope: String, day: Int, value: Int)] = []
        for scope in Set(before.keys).union(entries.keys) {
            let actives = WindowActives.actives(before: before[scope] ?? 0, entries: entries[scope] ?? [], days: days)
            result += zip(days, actives).map { (scope, $0, $1) }
        }
        return result
    }
}
