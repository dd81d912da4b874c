import UsageTrackingCore

/// Small-count suppression for anything published: a count of 1 to K-1 instances is shown as
/// `<K`, and so is a day's ping count when fewer than K instances were active that day. Zero stays 0.
public enum SmallCounts {
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

    /// A cell as JSON: hidden ones (`<K`) are strings.
    static func quoteHidden(_ cell: String) -> String {
        cell.hasPrefix("<") ? "\"\(cell)\"" : cell
    }
}
