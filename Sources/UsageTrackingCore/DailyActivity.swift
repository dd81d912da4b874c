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

/// Active instances per day over a trailing window: the body of `/v1/reports/actives` and `stats --format json`.
public struct ActivesReport: Hashable, Sendable, Codable {
    /// The trailing window in days: 1, 7 or 28.
    public let window: Int
    public let days: [DailyActivity]

    public init(window: Int, days: [DailyActivity]) {
        self.window = window
        self.days = days
    }

    /// The windows the reports accept.
    public static let windows: Set<Int> = [1, 7, 28]

    /// `day,active_instances,new_instances,pings`, one row per day, oldest first.
    public var csv: String { csv(minimumCount: nil) }

    /// The CSV with small-count suppression: see ``SmallCounts``.
    public func csv(minimumCount: Int?) -> String {
        var text = "day,active_instances,new_instances,pings\n"
        for row in days {
            let cells = SmallCounts.cells(of: row, minimumCount: minimumCount)
            text += "\(row.day.iso8601),\(cells.active),\(cells.new),\(cells.pings)\n"
        }
        return text
    }

    /// `{"window":1,"days":[{"day":"2026-11-29","active":2,"new":2,"pings":3}]}`, keys in this order.
    public var json: String { json(minimumCount: nil) }

    /// The JSON with small-count suppression: a hidden cell is the string `"<K"`.
    public func json(minimumCount: Int?) -> String {
        func value(_ cell: String) -> String { cell.hasPrefix("<") ? "\"\(cell)\"" : cell }
        let rows = days.map { row in
            let cells = SmallCounts.cells(of: row, minimumCount: minimumCount)
            return #"{"day":"\#(row.day.iso8601)","active":\#(value(cells.active)),"new":\#(value(cells.new)),"pings":\#(value(cells.pings))}"#
        }
        return #"{"window":\#(window),"days":["# + rows.joined(separator: ",") + "]}"
    }

    /// A plain aligned table for a terminal.
    public var table: String { table(minimumCount: nil) }

    public func table(minimumCount: Int?) -> String {
        let header = ["day", "active", "new", "pings"]
        let rows = days.map { row in
            let cells = SmallCounts.cells(of: row, minimumCount: minimumCount)
            return [row.day.iso8601, cells.active, cells.new, cells.pings]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

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
}
