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
        let rows = days.map { row in
            let cells = SmallCounts.cells(of: row, minimumCount: minimumCount)
            return #"{"day":"\#(row.day.iso8601)","active":\#(SmallCounts.quoteHidden(cells.active)),"new":\#(SmallCounts.quoteHidden(cells.new)),"pings":\#(SmallCounts.quoteHidden(cells.pings))}"#
        }
        return #"{"window":\#(window),"days":["# + rows.joined(separator: ",") + "]}"
    }

    /// `day  active  new  pings`, aligned.
    public func table(minimumCount: Int?) -> String {
        CSVTable.aligned([["day", "active", "new", "pings"]] + days.map { row in
            let cells = SmallCounts.cells(of: row, minimumCount: minimumCount)
            return [row.day.iso8601, cells.active, cells.new, cells.pings]
        })
    }

    /// `day,active_instances,new_instances,pings`, one row per day, oldest first.
    public func csv(minimumCount: Int?) -> String {
        var text = "day,active_instances,new_instances,pings\n"
        for row in days {
            let cells = SmallCounts.cells(of: row, minimumCount: minimumCount)
            text += "\(row.day.iso8601),\(cells.active),\(cells.new),\(cells.pings)\n"
        }
        return text
    }
}

extension NewInstancesReport.Result: RenderedReport {
    public func json(minimumCount: Int?) -> String {
        let rows = days.map { #"{"day":"\#($0.day)","new":\#(SmallCounts.json($0.count, minimumCount))}"# }
        return #"{"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "day,new_instances\n" + days.map { "\($0.day),\(SmallCounts.cell($0.count, minimumCount: minimumCount))\n" }.joined()
    }
}

extension ChurnReport.Result: RenderedReport {
    public func json(minimumCount: Int?) -> String {
        let rows = days.map { #"{"day":"\#($0.day)","churned":\#(SmallCounts.json($0.count, minimumCount))}"# }
        return #"{"after":\#(after),"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        "day,churned_instances\n" + days.map { "\($0.day),\(SmallCounts.cell($0.count, minimumCount: minimumCount))\n" }.joined()
    }
}

extension RegionsReport.Result: RenderedReport {
    public func json(minimumCount: Int?) -> String {
        func day(_ value: UTCDay?) -> String { value.map { "\"\($0)\"" } ?? "null" }
        let rows = regions.map { row in
            let pingsHidden = minimumCount.map { row.active28d > 0 && row.active28d < $0 } ?? false
            return #"{"region":"\#(row.region)","active_1d":\#(SmallCounts.json(row.active1d, minimumCount)),"active_7d":\#(SmallCounts.json(row.active7d, minimumCount)),"active_28d":\#(SmallCounts.json(row.active28d, minimumCount)),"new":\#(SmallCounts.json(row.new, minimumCount)),"pings":\#(pingsHidden ? "\"<\(minimumCount!)\"" : String(row.pings))}"#
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

    public func json(minimumCount: Int?) -> String {
        let rows = days.map { row in
            let buckets = DaysSeen.buckets.map { #""\#(Self.name($0))":\#(SmallCounts.json(row.seen($0), minimumCount))"# }
            return #"{"day":"\#(row.day)",\#(buckets.joined(separator: ",")),"active_28d":\#(SmallCounts.json(row.active, minimumCount)),"regular":\#(SmallCounts.json(row.regular, minimumCount))}"#
        }
        return #"{"window":\#(DaysSeen.window),"regular_days":\#(DaysSeen.regularDays.lowerBound),"days":["# + rows.joined(separator: ",") + "]}"
    }

    public func csv(minimumCount: Int?) -> String {
        let header = (["day"] + DaysSeen.buckets.map(Self.name) + ["active_28d", "regular"]).joined(separator: ",")
        return header + "\n" + days.map { row in
            let cells = (DaysSeen.buckets.map(row.seen) + [row.active, row.regular]).map { SmallCounts.cell($0, minimumCount: minimumCount) }
            return "\(row.day)," + cells.joined(separator: ",") + "\n"
        }.joined()
    }
}
