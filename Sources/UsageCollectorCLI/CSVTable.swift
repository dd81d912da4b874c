import ArgumentParser
import Foundation
import JSONLogging
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UsageCollector
import UsageImport
import UsageStore
import UsageTrackingCore

/// A CSV text laid out as aligned columns for a terminal.
enum CSVTable {
    static func aligned(_ csv: String) -> String {
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
