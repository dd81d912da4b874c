import UsageTrackingCore

/// Small server-rendered SVG charts: no JavaScript, accessible (a title and a description each),
/// scaled to their container.
enum SVGChart {
    struct Series {
        let name: String
        let color: String
        /// One value per day; `nil` is not drawn (no data, or hidden by small-count suppression).
        let values: [Int?]
    }

    static let width = 720
    static let height = 260
    static let left = 48
    static let right = 12
    static let top = 16
    static let bottom = 36

    /// A line chart over days, one polyline per series, with gridlines, axis labels and a legend.
    static func lines(id: String, title: String, description: String, days: [UTCDay], series: [Series]) -> String {
        let maximum = max(1, series.flatMap { $0.values.compactMap { $0 } }.max() ?? 1)
        let ceiling = niceCeiling(maximum)
        let plotWidth = Double(width - left - right)
        let plotHeight = Double(height - top - bottom)
        func x(_ index: Int) -> Double {
            days.count <= 1 ? Double(left) + plotWidth / 2 : Double(left) + plotWidth * Double(index) / Double(days.count - 1)
        }
        func y(_ value: Int) -> Double { Double(top) + plotHeight * (1 - Double(value) / Double(ceiling)) }
        var svg = """
            <svg id="\(id)" class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="\(id)-title \(id)-desc" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-title">\(HTML.escape(title))</title>
            <desc id="\(id)-desc">\(HTML.escape(description))</desc>

            """
        func yValue(_ value: Double) -> Double { Double(top) + plotHeight * (1 - value / Double(ceiling)) }
        for step in 0...4 {
            let value = Double(ceiling) * Double(step) / 4
            svg += #"<line class="grid" x1="\#(left)" x2="\#(width - right)" y1="\#(format(yValue(value)))" y2="\#(format(yValue(value)))"/>"#
            svg += #"<text class="axis" x="\#(left - 6)" y="\#(format(yValue(value) + 4))" text-anchor="end">\#(format(value))</text>"# + "\n"
        }
        let labelled = Set([0, days.count / 2, days.count - 1]).sorted().filter { $0 >= 0 && $0 < days.count }
        for index in labelled {
            let anchor = labelled.count > 1 && index == 0 ? "start" : (labelled.count > 1 && index == days.count - 1 ? "end" : "middle")
            svg += #"<text class="axis" x="\#(format(x(index)))" y="\#(height - bottom + 18)" text-anchor="\#(anchor)">\#(days[index])</text>"# + "\n"
        }
        for (number, line) in series.enumerated() {
            // Consecutive known values form one segment; a hidden or missing value breaks the line.
            var segments: [[String]] = [[]]
            for (index, value) in line.values.enumerated() {
                if let value {
                    segments[segments.count - 1].append("\(format(x(index))),\(format(y(value)))")
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            svg += #"<g class="series" data-series="\#(HTML.escape(line.name))"><title>\#(HTML.escape(line.name))</title>"#
            for points in segments where !points.isEmpty {
                if points.count == 1 {
                    let xy = points[0].split(separator: ",")
                    svg += #"<circle cx="\#(xy[0])" cy="\#(xy[1])" r="2.5" fill="\#(line.color)"/>"#
                } else {
                    svg += #"<polyline fill="none" stroke="\#(line.color)" stroke-width="2" points="\#(points.joined(separator: " "))"/>"#
                }
            }
            svg += "</g>\n"
            let legendX = left + 8 + number * 150
            svg += #"<rect x="\#(legendX)" y="\#(top + 2)" width="12" height="4" fill="\#(line.color)"/><text class="legend" x="\#(legendX + 16)" y="\#(top + 8)">\#(HTML.escape(line.name))</text>"# + "\n"
        }
        return svg + "</svg>"
    }

    /// A horizontal bar chart, one labelled bar per row.
    static func bars(id: String, title: String, description: String, rows: [(label: String, value: Int, shown: String)]) -> String {
        let rowHeight = 22
        let chartHeight = max(40, rows.count * rowHeight + 8)
        let labelWidth = 120
        let maximum = max(1, rows.map(\.value).max() ?? 1)
        let plotWidth = Double(width - labelWidth - 60)
        var svg = """
            <svg id="\(id)" class="chart" viewBox="0 0 \(width) \(chartHeight)" role="img" aria-labelledby="\(id)-title \(id)-desc" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-title">\(HTML.escape(title))</title>
            <desc id="\(id)-desc">\(HTML.escape(description))</desc>

            """
        for (index, row) in rows.enumerated() {
            let y = 4 + index * rowHeight
            let length = plotWidth * Double(row.value) / Double(maximum)
            svg += #"<g class="bar"><title>\#(HTML.escape(row.label)): \#(HTML.escape(row.shown))</title>"#
            svg += #"<text class="axis" x="\#(labelWidth - 6)" y="\#(y + 14)" text-anchor="end">\#(HTML.escape(row.label))</text>"#
            svg += ##"<rect x="\##(labelWidth)" y="\##(y + 3)" width="\##(format(max(length, 1)))" height="14" fill="#2563eb"/>"##
            svg += #"<text class="axis" x="\#(format(Double(labelWidth) + length + 6))" y="\#(y + 14)">\#(HTML.escape(row.shown))</text></g>"# + "\n"
        }
        return svg + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        for factor in [1, 2, 5, 10] where factor * magnitude >= value { return factor * magnitude }
        return 10 * magnitude
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
