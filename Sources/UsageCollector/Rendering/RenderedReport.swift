import UsageStore
import UsageTrackingCore

/// A report's result as the API and `stats` print it, small counts suppressed (``SmallCounts``).
public protocol RenderedReport: Sendable {
    func json(minimumCount: Int?) -> String
    func csv(minimumCount: Int?) -> String
    /// For a terminal (`stats --format table`): the CSV's columns aligned, unless a report lays
    /// out its own.
    func table(minimumCount: Int?) -> String
}

extension RenderedReport {
    public func table(minimumCount: Int?) -> String { CSVTable.aligned(csv(minimumCount: minimumCount)) }
}

/// A report that the API serves and `stats` prints: one whose result renders.
public protocol RenderableReport: Report where Result: RenderedReport {}

extension ActivesReport: RenderableReport {}
extension NewInstancesReport: RenderableReport {}
extension ChurnReport: RenderableReport {}
extension RegionsReport: RenderableReport {}
extension RetentionReport: RenderableReport {}
extension DaysSeenReport: RenderableReport {}

/// Every report, in the order the API documents them: the routes `/v1/reports/<name>` and the
/// values of `stats --report`.
public enum ReportCatalog {
    public static let all: [any RenderableReport.Type] = [
        ActivesReport.self, NewInstancesReport.self, ChurnReport.self, RegionsReport.self, RetentionReport.self, DaysSeenReport.self,
    ]

    /// Their names, in that order.
    public static var names: [String] { all.map { type in type.name } }

    /// The report called `name`, if there is one.
    public static func named(_ name: String) -> (any RenderableReport.Type)? {
        all.first { $0.name == name }
    }
}

extension ActivesReport.Result: RenderedReport {
    /// `{"window":1,"days":[{"day":"2026-11-29","active":2,"new":2,"pings":3}]}`, keys in this order.
    public func json(minimumCount: Int?) -> String {
        let rows = days.indices.map { index in
            let (row, cells) = (days[index], cells(index, minimumCount))
            return #"{"day":"\#(row.day.iso8601)","active":\#(SmallCounts.quoteHidden(cells.active)),"new":\#(SmallCounts.quoteHidden(cells.new)),"pings":\#(SmallCounts.quoteHidden(cells.pings))}"#
        }
        return #"{"window":\#(window),"days":["# + rows.joined(separator: ",") + "]}"
    }

    /// `day  active  new  pings`, aligned.
    public func table(minimumCount: Int?) -> String {
        CSVTable.aligned([["day", "active", "new", "pings"]] + days.indices.map { index in
            let (row, cells) = (days[index], cells(index, minimumCount))
            return [row.day.iso8601, cells.active, cells.new, cells.pings]
        })
    }

    func cells(_ index: Int, _ minimumCount: Int?) -> (active: String, new: String, pings: String) {
        SmallCounts.cells(of: days[index], peers: peers?[index], newPeers: newPeers?[index], minimumCount: minimumCount)
    }

    /// `day,active_instances,new_instances,pings`, one row per day, oldest first.
    public func csv(minimumCount: Int?) -> String {
        var text = "day,active_instances,new_instances,pings\n"
        for index in days.indices {
            let (row, cells) = (days[index], cells(index, minimumCount))
            text += "\(row.day.iso8601),\(cells.active),\(cells.new),\(cells.pings)\n"
        }
        return text
    }
}

extension NewInstancesReport.Result: RenderedReport {
    func cell(_ index: Int, _ minimumCount: Int?) -> String {
        SmallCounts.cell(days[index].count, peers: peers?[index], minimumCount: minimumCount)
    }

    public func json(minimumCount: Int?) -> String {
        let rows = days.indices.map { #"{"day":"\#(days[$0].day)","new":\#(SmallCounts.quoteHidden(cell($0, minimumCount)))}"# }
        return #"{"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "day,new_instances\n" + days.indices.map { "\(days[$0].day),\(cell($0, minimumCount))\n" }.joined()
    }
}

extension ChurnReport.Result: RenderedReport {
    func cell(_ index: Int, _ minimumCount: Int?) -> String {
        SmallCounts.cell(days[index].count, peers: peers?[index], minimumCount: minimumCount)
    }

    public func json(minimumCount: Int?) -> String {
        let rows = days.indices.map { #"{"day":"\#(days[$0].day)","churned":\#(SmallCounts.quoteHidden(cell($0, minimumCount)))}"# }
        return #"{"after":\#(after),"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "day,churned_instances\n" + days.indices.map { "\(days[$0].day),\(cell($0, minimumCount))\n" }.joined()
    }
}

extension RegionsReport.Result: RenderedReport {
    /// Each row's cells, each column's regions parts of the all-regions total
    /// (``SmallCounts/hidden(_:minimumCount:)``); pings hidden with the 28-day actives.
    func cells(_ minimumCount: Int?) -> [(active1d: String, active7d: String, active28d: String, new: String, pings: String)] {
        let columns: [(RegionActivity) -> Int] = [\.active1d, \.active7d, \.active28d, \.new]
        let hidden = columns.map { column in SmallCounts.hidden(regions.map(column), minimumCount: minimumCount) }
        return regions.indices.map { index in
            let row = regions[index]
            let shown = columns.indices.map { SmallCounts.cell(columns[$0](row), hidden: hidden[$0][index], minimumCount: minimumCount) }
            return (shown[0], shown[1], shown[2], shown[3], hidden[2][index] ? "<\(minimumCount!)" : String(row.pings))
        }
    }

    public func json(minimumCount: Int?) -> String {
        func day(_ value: UTCDay?) -> String { value.map { "\"\($0)\"" } ?? "null" }
        let q = SmallCounts.quoteHidden
        let rows = zip(regions, cells(minimumCount)).map { row, cells in
            #"{"region":"\#(row.region)","active_1d":\#(q(cells.active1d)),"active_7d":\#(q(cells.active7d)),"active_28d":\#(q(cells.active28d)),"new":\#(q(cells.new)),"pings":\#(q(cells.pings))}"#
        }
        return #"{"from":\#(day(from)),"to":\#(day(to)),"regions":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "region,active_1d,active_7d,active_28d,new_instances,pings\n" + zip(regions, cells(minimumCount)).map { row, cells in
            "\(row.region),\(cells.active1d),\(cells.active7d),\(cells.active28d),\(cells.new),\(cells.pings)\n"
        }.joined()
    }
}

extension RetentionReport.Result: RenderedReport {
    public func json(minimumCount: Int?) -> String {
        let rows = cohorts.map { cohort in
            let active = cohort.active.map { SmallCounts.json($0, minimumCount) }.joined(separator: ",")
            return #"{"week":"\#(cohort.week)","instances":\#(SmallCounts.json(cohort.instances, minimumCount)),"active":[\#(active)]}"#
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

extension DaysSeenReport.Result: RenderedReport {
    static func name(_ bucket: ClosedRange<Int>) -> String {
        bucket.count == 1 ? "seen_\(bucket.lowerBound)" : "seen_\(bucket.lowerBound)_\(bucket.upperBound)"
    }

    /// A day's cells: the groups are parts of the day's 28-day actives, and regular instances
    /// are the last group, hidden with it.
    static func cells(_ row: DaysSeenCounts, _ minimumCount: Int?) -> (buckets: [String], active: String, regular: String) {
        let counts = DaysSeen.buckets.map(row.seen)
        let hidden = SmallCounts.hidden(counts, minimumCount: minimumCount)
        let buckets = counts.indices.map { SmallCounts.cell(counts[$0], hidden: hidden[$0], minimumCount: minimumCount) }
        return (buckets, SmallCounts.cell(row.active, minimumCount: minimumCount), buckets[buckets.count - 1])
    }

    public func json(minimumCount: Int?) -> String {
        let q = SmallCounts.quoteHidden
        let rows = days.map { row in
            let cells = Self.cells(row, minimumCount)
            let buckets = DaysSeen.buckets.indices.map { #""\#(Self.name(DaysSeen.buckets[$0]))":\#(q(cells.buckets[$0]))"# }
            return #"{"day":"\#(row.day)",\#(buckets.joined(separator: ",")),"active_28d":\#(q(cells.active)),"regular":\#(q(cells.regular))}"#
        }
        return #"{"window":\#(DaysSeen.window),"regular_days":\#(DaysSeen.regularDays.lowerBound),"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        let header = (["day"] + DaysSeen.buckets.map(Self.name) + ["active_28d", "regular"]).joined(separator: ",")
        return header + "\n" + days.map { row in
            let cells = Self.cells(row, minimumCount)
            return "\(row.day)," + (cells.buckets + [cells.active, cells.regular]).joined(separator: ",") + "\n"
        }.joined()
    }
}
