/// A count of instances on one day.
public struct DayCount: Hashable, Sendable {
    public let day: UTCDay
    public let count: Int

    public init(day: UTCDay, count: Int) {
        self.day = day
        self.count = count
    }
}

/// Instances seen for the first time, per day: `/v1/reports/new`.
public struct NewInstancesReport: Hashable, Sendable {
    public let days: [DayCount]

    public init(days: [DayCount]) { self.days = days }

    public func json(minimumCount: Int?) -> String {
        let rows = days.map { #"{"day":"\#($0.day)","new":\#(JSONCell.count($0.count, minimumCount))}"# }
        return #"{"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "day,new_instances\n" + days.map { "\($0.day),\(SmallCounts.cell($0.count, minimumCount: minimumCount))\n" }.joined()
    }
}

/// Instances last seen `after` days before each day and not since: `/v1/reports/churned`.
public struct ChurnReport: Hashable, Sendable {
    public let after: Int
    public let days: [DayCount]

    public init(after: Int, days: [DayCount]) {
        self.after = after
        self.days = days
    }

    public func json(minimumCount: Int?) -> String {
        let rows = days.map { #"{"day":"\#($0.day)","churned":\#(JSONCell.count($0.count, minimumCount))}"# }
        return #"{"after":\#(after),"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "day,churned_instances\n" + days.map { "\($0.day),\(SmallCounts.cell($0.count, minimumCount: minimumCount))\n" }.joined()
    }
}

/// One region's activity: instances active over 1, 7 and 28 days ending on the report's last
/// day, instances first seen in the range, and pings in the range.
public struct RegionActivity: Hashable, Sendable {
    /// A region code, or `unknown` for pings that named none.
    public let region: String
    public let active1d: Int
    public let active7d: Int
    public let active28d: Int
    public let new: Int
    public let pings: Int

    public init(region: String, active1d: Int, active7d: Int, active28d: Int, new: Int, pings: Int) {
        self.region = region
        self.active1d = active1d
        self.active7d = active7d
        self.active28d = active28d
        self.new = new
        self.pings = pings
    }
}

/// The per-region breakdown: `/v1/reports/regions`.
public struct RegionsReport: Hashable, Sendable {
    public let from: UTCDay?
    public let to: UTCDay?
    public let regions: [RegionActivity]

    public init(from: UTCDay?, to: UTCDay?, regions: [RegionActivity]) {
        self.from = from
        self.to = to
        self.regions = regions
    }

    public func json(minimumCount: Int?) -> String {
        func day(_ value: UTCDay?) -> String { value.map { "\"\($0)\"" } ?? "null" }
        let rows = regions.map { row in
            let pingsHidden = minimumCount.map { row.active28d > 0 && row.active28d < $0 } ?? false
            return #"{"region":"\#(row.region)","active_1d":\#(JSONCell.count(row.active1d, minimumCount)),"active_7d":\#(JSONCell.count(row.active7d, minimumCount)),"active_28d":\#(JSONCell.count(row.active28d, minimumCount)),"new":\#(JSONCell.count(row.new, minimumCount)),"pings":\#(pingsHidden ? "\"<\(minimumCount!)\"" : String(row.pings))}"#
        }
        return #"{"from":\#(day(from)),"to":\#(day(to)),"regions":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "region,active_1d,active_7d,active_28d,new_instances,pings\n" + regions.map { row in
            let cells = [row.active1d, row.active7d, row.active28d, row.new].map { SmallCounts.cell($0, minimumCount: minimumCount) }
            let pingsHidden = minimumCount.map { row.active28d > 0 && row.active28d < $0 } ?? false
            return "\(row.region),\(cells.joined(separator: ",")),\(pingsHidden ? "<\(minimumCount!)" : String(row.pings))\n"
        }.joined()
    }
}

/// One weekly cohort: the instances first seen in the ISO week starting on `week`, and how many
/// of them were active in that week and each following one (`active[0]` is the cohort itself).
public struct RetentionCohort: Hashable, Sendable {
    public let week: UTCDay
    public let instances: Int
    public let active: [Int]

    public init(week: UTCDay, instances: Int, active: [Int]) {
        self.week = week
        self.instances = instances
        self.active = active
    }

    /// The share of the cohort active `weeksAfter` weeks after its first week.
    public func share(_ weeksAfter: Int) -> Double {
        instances == 0 ? 0 : Double(active[weeksAfter]) / Double(instances)
    }
}

/// Retention by weekly cohort: `/v1/reports/retention`.
public struct RetentionReport: Hashable, Sendable {
    public let cohorts: [RetentionCohort]

    public init(cohorts: [RetentionCohort]) { self.cohorts = cohorts }

    public func json(minimumCount: Int?) -> String {
        let rows = cohorts.map { cohort in
            let active = cohort.active.map { JSONCell.count($0, minimumCount) }.joined(separator: ",")
            return #"{"week":"\#(cohort.week)","instances":\#(JSONCell.count(cohort.instances, minimumCount)),"active":[\#(active)]}"#
        }
        return #"{"cohort":"week","cohorts":["# + rows.joined(separator: ",") + "]}"
    }

    /// Long form: one row per cohort and week after it, with the share to four decimals.
    public func csv(minimumCount: Int?) -> String {
        var text = "cohort_week,instances,weeks_after,active_instances,share\n"
        for cohort in cohorts {
            let hidden = minimumCount.map { cohort.instances < $0 } ?? false
            for (weeksAfter, active) in cohort.active.enumerated() {
                let activeCell = SmallCounts.cell(active, minimumCount: minimumCount)
                let share = hidden || activeCell.hasPrefix("<") ? "" : Self.decimal(cohort.share(weeksAfter))
                text += "\(cohort.week),\(SmallCounts.cell(cohort.instances, minimumCount: minimumCount)),\(weeksAfter),\(activeCell),\(share)\n"
            }
        }
        return text
    }

    /// `0.1234`: four decimals without Foundation's formatters.
    static func decimal(_ value: Double) -> String {
        let scaled = Int((value * 10_000).rounded())
        let fraction = String(scaled % 10_000)
        return "\(scaled / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
    }
}

/// A JSON count cell: a number, or the string `"<K"` when suppressed.
enum JSONCell {
    static func count(_ value: Int, _ minimumCount: Int?) -> String {
        let cell = SmallCounts.cell(value, minimumCount: minimumCount)
        return cell.hasPrefix("<") ? "\"\(cell)\"" : cell
    }
}
