import UsageTrackingCore

/// Small-count suppression for anything published (`--min-count K`): a count of 1 to K-1
/// instances is shown as `<K`, and so is a day's ping count when its instances are hidden. Zero
/// stays 0. Where counts add up to a total shown elsewhere (the regions of a day, the days-seen
/// groups of a day), one hidden count could be computed back by subtraction: then the smallest
/// other count above zero is hidden too (``hidden(_:minimumCount:)``), so only the sum of the
/// hidden counts can be.
public enum SmallCounts {
    /// Which of `counts`, parts of one total, are hidden: those of 1 to K-1, and, when that is
    /// exactly one, the smallest other count above zero.
    public static func hidden(_ counts: [Int], minimumCount: Int?) -> [Bool] {
        guard let minimumCount else { return counts.map { _ in false } }
        var hidden = counts.map { $0 > 0 && $0 < minimumCount }
        if hidden.filter({ $0 }).count == 1,
           let partner = counts.indices.filter({ !hidden[$0] && counts[$0] > 0 }).min(by: { counts[$0] < counts[$1] }) {
            hidden[partner] = true
        }
        return hidden
    }

    /// A count as shown: itself, or `<K` when `hidden`.
    static func cell(_ count: Int, hidden: Bool, minimumCount: Int?) -> String {
        guard hidden, let minimumCount else { return String(count) }
        return count < minimumCount ? "<\(minimumCount)" : ">=\(minimumCount)"
    }

    public static func cell(_ count: Int, minimumCount: Int?) -> String {
        if let minimumCount, count > 0, count < minimumCount { return "<\(minimumCount)" }
        return String(count)
    }

    public static func cells(of row: DailyActivity, minimumCount: Int?) -> (active: String, new: String, pings: String) {
        let pingsHidden = minimumCount.map { row.active > 0 && row.active < $0 } ?? false
        return (
            cell(row.active, minimumCount: minimumCount),
            cell(row.new, minimumCount: minimumCount),
            pingsHidden ? "<\(minimumCount!)" : String(row.pings)
        )
    }

    /// A JSON count cell: a number, or the string `"<K"` when suppressed.
    static func json(_ count: Int, _ minimumCount: Int?) -> String {
        quoteHidden(cell(count, minimumCount: minimumCount))
    }

    /// A cell as JSON: hidden ones (`<K`, `>=K`) are strings.
    static func quoteHidden(_ cell: String) -> String {
        cell.hasPrefix("<") || cell.hasPrefix(">") ? "\"\(cell)\"" : cell
    }

    /// The cells of a day of one region (`peers`: the same counts of the other regional scopes
    /// that day, when the report is of one region): active, new, and pings hidden with active.
    static func cells(of row: DailyActivity, peers: [Int]?, newPeers: [Int]?, minimumCount: Int?) -> (active: String, new: String, pings: String) {
        guard let peers, let newPeers else { return cells(of: row, minimumCount: minimumCount) }
        let activeHidden = hidden([row.active] + peers, minimumCount: minimumCount)[0]
        let newHidden = hidden([row.new] + newPeers, minimumCount: minimumCount)[0]
        return (
            cell(row.active, hidden: activeHidden, minimumCount: minimumCount),
            cell(row.new, hidden: newHidden, minimumCount: minimumCount),
            activeHidden ? "<\(minimumCount!)" : String(row.pings)
        )
    }

    /// One count of a region's series: hidden as a part of the day's regional counts when `peers` are given.
    static func cell(_ count: Int, peers: [Int]?, minimumCount: Int?) -> String {
        guard let peers else { return cell(count, minimumCount: minimumCount) }
        return cell(count, hidden: hidden([count] + peers, minimumCount: minimumCount)[0], minimumCount: minimumCount)
    }
}
