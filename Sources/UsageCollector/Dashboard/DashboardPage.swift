import UsageStore
import UsageTrackingCore

/// The dashboard: headline tiles, charts of actives, new vs churned, regions, and a retention
/// table, as one server-rendered HTML page with inline SVG. Readable without JavaScript; every
/// chart has a title, a description and a data table.
struct DashboardPage {
    let daily: [DailyActivity]
    let weekly: [DailyActivity]
    let monthly: [DailyActivity]
    let churned: [DayCount]
    let churnAfter: Int
    let regions: RegionsReport.Result
    let retention: [RetentionCohort]
    /// By day, as `daily`.
    let daysSeen: [DaysSeenCounts]
    let minimumCount: Int?

    /// The page of a database with nothing in it.
    static func empty(churnAfter: Int, minimumCount: Int?) -> DashboardPage {
        DashboardPage(
            daily: [], weekly: [], monthly: [], churned: [], churnAfter: churnAfter, regions: RegionsReport.Result(from: nil, to: nil, regions: []),
            retention: [], daysSeen: [], minimumCount: minimumCount
        )
    }

    /// Every panel of the page over `range`, from one snapshot of the rollups; without bounds,
    /// the 90 days ending on the last day stored.
    static func compute(range asked: ReportRange, from reader: any RollupReader, churnAfter: Int, minimumCount: Int?) async throws -> DashboardPage {
        guard let stored = try await ReportRange().days(in: reader) else { return empty(churnAfter: churnAfter, minimumCount: minimumCount) }
        let to = asked.to ?? UTCDay(daysSinceEpoch: stored.upperBound)
        let from = asked.from ?? max(to.advanced(by: -89), UTCDay(daysSinceEpoch: stored.lowerBound))
        let range = ReportRange(from: from, to: to)
        return DashboardPage(
            daily: try await ActivesReport(range: range, window: 1).compute(from: reader).days,
            weekly: try await ActivesReport(range: range, window: 7).compute(from: reader).days,
            monthly: try await ActivesReport(range: range, window: 28).compute(from: reader).days,
            churned: try await ChurnReport(range: range, after: churnAfter).compute(from: reader).days,
            churnAfter: churnAfter,
            regions: try await RegionsReport(range: range).compute(from: reader),
            retention: try await RetentionReport(range: range).compute(from: reader).cohorts,
            daysSeen: try await DaysSeenReport(range: range).compute(from: reader).days,
            minimumCount: minimumCount
        )
    }

    func cell(_ value: Int) -> String { SmallCounts.cell(value, minimumCount: minimumCount) }

    /// A chart value: hidden counts are not drawn.
    func plotted(_ value: Int) -> Int? { cell(value).hasPrefix("<") ? nil : value }

    var html: String {
        let days = daily.map(\.day)
        let lastDay = days.last
        let recent = daily.suffix(28)
        let churnByDay = Dictionary(uniqueKeysWithValues: churned.map { ($0.day, $0.count) })
        let tiles: [(String, String, Int)] = [
            ("active-1d", "active on \(lastDay.map { "\($0)" } ?? "the last day")", daily.last?.active ?? 0),
            ("active-7d", "active over the last 7 days", weekly.last?.active ?? 0),
            ("active-28d", "active over the last 28 days", monthly.last?.active ?? 0),
            ("regular-28d", "regular: seen on at least 21 of the last 28 days", daysSeen.last?.regular ?? 0),
            ("new-28d", "new in the last 28 days", recent.reduce(0) { $0 + $1.new }),
            ("churned-28d", "churned (no ping for \(churnAfter) days) in the last 28 days", recent.reduce(0) { $0 + (churnByDay[$1.day] ?? 0) }),
        ]
        var page = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Kubeflow on AWS usage</title>
            <style>
            body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #111827; background: #f9fafb; }
            main { max-width: 980px; margin: 0 auto; padding: 16px; }
            h1 { font-size: 1.5rem; margin: 8px 0 4px; } h2 { font-size: 1.15rem; margin: 28px 0 8px; }
            .range { color: #4b5563; margin: 0 0 16px; }
            .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
            .tile { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px; }
            .tile .value { display: block; font-size: 1.8rem; font-weight: 650; }
            .tile .label { color: #4b5563; font-size: .85rem; }
            .chart { width: 100%; height: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
            .chart .grid { stroke: #e5e7eb; } .chart .axis, .chart .legend { font-size: 11px; fill: #4b5563; }
            table { border-collapse: collapse; background: #fff; font-size: .85rem; }
            th, td { border: 1px solid #e5e7eb; padding: 3px 7px; text-align: right; } th:first-child, td:first-child { text-align: left; }
            details { margin: 6px 0 0; } .scroll { overflow-x: auto; }
            .note { color: #6b7280; font-size: .85rem; }
            </style>
            </head>
            <body>
            <main>
            <h1>Kubeflow on AWS usage</h1>
            <p class="range">\(days.first.map { "UTC days \($0) to \(lastDay!)" } ?? "No pings stored yet.")\(minimumCount.map { " · counts below \($0) are shown as &lt;\($0)" } ?? "")</p>
            <section class="tiles" aria-label="Headline numbers">

            """
        for (id, label, value) in tiles {
            page += #"<div class="tile" data-tile="\#(id)"><span class="value">\#(HTML.escape(cell(value)))</span><span class="label">\#(HTML.escape(label))</span></div>"# + "\n"
        }
        page += "</section>\n"

        page += "<h2>Active instances</h2>\n"
        page += SVGChart.lines(
            id: "actives", title: "Active instances per day",
            description: "Distinct instances that sent a ping on each UTC day, and over the trailing 7 and 28 days.",
            days: days,
            series: [
                .init(name: "daily", color: "#2563eb", values: daily.map { plotted($0.active) }),
                .init(name: "7-day", color: "#16a34a", values: weekly.map { plotted($0.active) }),
                .init(name: "28-day", color: "#9333ea", values: monthly.map { plotted($0.active) }),
            ]
        )
        page += table(caption: "Active instances per day", header: ["day", "daily", "7-day", "28-day", "new", "pings"], rows: daily.indices.map { index in
            [daily[index].day.iso8601, cell(daily[index].active), cell(weekly[index].active), cell(monthly[index].active), cell(daily[index].new),
             SmallCounts.cells(of: daily[index], minimumCount: minimumCount).pings]
        })

        page += "<h2>New and churned instances</h2>\n"
        page += SVGChart.lines(
            id: "new-churned", title: "New and churned instances per day",
            description: "Instances seen for the first time each day, and instances whose last ping was \(churnAfter) days before it.",
            days: days,
            series: [
                .init(name: "new", color: "#0891b2", values: daily.map { plotted($0.new) }),
                .init(name: "churned", color: "#dc2626", values: days.map { day in churnByDay[day].flatMap(plotted) }),
            ]
        )
        page += table(caption: "New and churned instances per day", header: ["day", "new", "churned"], rows: daily.map { row in
            [row.day.iso8601, cell(row.new), churnByDay[row.day].map(cell) ?? "–"]
        })

        page += "<h2>Instances by days seen</h2>\n"
        let bucketNames = DaysSeen.buckets.map { $0.count == 1 ? "\($0.lowerBound) day" : "\($0.lowerBound)–\($0.upperBound) days" }
        let bucketColors = ["#f59e0b", "#0891b2", "#16a34a", "#2563eb"]
        page += SVGChart.lines(
            id: "days-seen", title: "Instances active in the last 28 days, by how many of those days they were seen",
            description: "For each UTC day, the instances with a ping in the 28 days ending on it, grouped by the number of those days they sent one. A cluster that keeps reporting one instance is seen on every day; the 21–28 group are the regular instances, the nearest count to deployments (docs/counting-deployments.md).",
            days: daysSeen.map(\.day),
            series: DaysSeen.buckets.indices.map { index in
                .init(name: bucketNames[index], color: bucketColors[index], values: daysSeen.map { row in
                    DaysSeenReport.Result.cells(row, minimumCount).buckets[index] == String(row.seen(DaysSeen.buckets[index])) ? row.seen(DaysSeen.buckets[index]) : nil
                })
            }
        )
        page += table(caption: "Instances by days seen in the last 28", header: ["day"] + bucketNames + ["active (28 days)", "regular"], rows: daysSeen.map { row in
            let cells = DaysSeenReport.Result.cells(row, minimumCount)
            return [row.day.iso8601] + cells.buckets + [cells.active, cells.regular]
        })

        page += "<h2>Regions</h2>\n"
        let regionCells = regions.cells(minimumCount)
        let regionRows = zip(regions.regions, regionCells).map { row, cells in
            (label: row.region, value: cells.active28d == String(row.active28d) ? row.active28d : 0, shown: cells.active28d)
        }
        page += SVGChart.bars(
            id: "regions", title: "Active instances by region, last 28 days",
            description: "Distinct instances active in each region over the 28 days ending \(regions.to.map { "\($0)" } ?? "on the last day").",
            rows: regionRows
        )
        page += table(caption: "Regions", header: ["region", "1 day", "7 days", "28 days", "new", "pings"], rows: zip(regions.regions, regionCells).map { row, cells in
            [row.region, cells.active1d, cells.active7d, cells.active28d, cells.new, cells.pings]
        }, open: true)

        page += "<h2>Retention by weekly cohort</h2>\n"
        page += retentionTable()
        page += """
            <p class="note">A day is a UTC day. Active: distinct instances with a ping that day (or in the trailing window). New: first day ever seen. Churned: last ping exactly \(churnAfter) days before, none since. Regular: seen on at least 21 of the 28 days ending that day. Reports in JSON and CSV: <code>/v1/reports/…</code>.</p>
            </main>
            </body>
            </html>

            """
        return page
    }

    func retentionTable() -> String {
        let cohorts = retention.suffix(12)
        let weeks = min(12, cohorts.map(\.active.count).max() ?? 0)
        guard weeks > 0 else { return "<p class=\"note\">No cohorts yet.</p>\n" }
        var html = #"<div class="scroll"><table id="retention"><caption>Share of each weekly cohort active in the weeks after its first (week 0)</caption><thead><tr><th scope="col">cohort (week of)</th><th scope="col">instances</th>"#
        for week in 0..<weeks { html += #"<th scope="col">week \#(week)</th>"# }
        html += "</tr></thead><tbody>\n"
        for cohort in cohorts {
            let hidden = minimumCount.map { cohort.instances < $0 } ?? false
            html += #"<tr><th scope="row">\#(cohort.week)</th><td>\#(cell(cohort.instances))</td>"#
            for week in 0..<weeks {
                guard week < cohort.active.count else { html += "<td></td>"; continue }
                if hidden || cell(cohort.active[week]).hasPrefix("<") {
                    html += "<td>–</td>"
                } else {
                    let share = cohort.share(week)
                    let alpha = SVGChart.format(0.1 + 0.6 * share)
                    html += #"<td style="background: rgba(37, 99, 235, \#(alpha))">\#(Int((share * 100).rounded()))%</td>"#
                }
            }
            html += "</tr>\n"
        }
        return html + "</tbody></table></div>\n"
    }

    func table(caption: String, header: [String], rows: [[String]], open: Bool = false) -> String {
        var html = "<details\(open ? " open" : "")><summary>\(HTML.escape(caption)): data table</summary><div class=\"scroll\"><table><thead><tr>"
        html += header.map { #"<th scope="col">\#(HTML.escape($0))</th>"# }.joined()
        html += "</tr></thead><tbody>\n"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, value in
                index == 0 ? #"<th scope="row">\#(HTML.escape(value))</th>"# : "<td>\(HTML.escape(value))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody></table></div></details>\n"
    }
}
