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

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a report: active (the default), new or churned instances per UTC day, regions, weekly retention, or instances by days seen in the last 28 (and regular instances)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    enum Report: String, ExpressibleByArgument, CaseIterable {
        case actives, new, churned, regions, retention
        case daysSeen = "days-seen"
    }

    @Option(help: "actives, new, churned, regions, retention or days-seen.")
    var report: Report = .actives

    @Option(help: "table, csv or json.")
    var format: Format = .table

    @Option(help: "First day, YYYY-MM-DD (default: the first day stored).")
    var from: String?

    @Option(help: "Last day, YYYY-MM-DD (default: the last day stored).")
    var to: String?

    @Option(help: "actives: trailing window in days, 1, 7 or 28.")
    var window: Int = 1

    @Option(help: "actives, new, churned: only this region.")
    var region: String?

    @Option(help: "churned: days without a ping after which an instance counts as churned.")
    var after: Int = 30

    @Option(help: "Hide cells of fewer than this many instances (shown as <K).")
    var minCount: Int?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard ActivesReport.windows.contains(window) else { throw ValidationError("--window must be 1, 7 or 28") }
        if let minCount, minCount < 2 { throw ValidationError("--min-count must be at least 2") }
        guard (1...3650).contains(after) else { throw ValidationError("--after must be between 1 and 3650 days") }
    }

    func run() async throws {
        let fromDay: UTCDay?
        let toDay: UTCDay?
        let regionValue: Region?
        do {
            fromDay = try from.map { text throws(InvalidInput) in try UTCDay(iso8601: text) }
            toDay = try to.map { text throws(InvalidInput) in try UTCDay(iso8601: text) }
            regionValue = try region.map { text throws(InvalidInput) in try Region(validating: text) }
        } catch {
            throw ValidationError(error.detail)
        }
        if let fromDay, let toDay, fromDay > toDay {
            throw ValidationError("--from is after --to")
        }
        let logger = try store.logger(label: "usage-collector")
        let (json, csv): (String, String) = try await store.withStore(logger: logger) { opened in
        switch report {
        case .actives:
            let result = ActivesReport(window: window, days: try await opened.dailyActivity(from: fromDay, to: toDay, window: window, region: regionValue))
            if format == .table { return (result.table(minimumCount: minCount), result.table(minimumCount: minCount)) }
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .new:
            let result = NewInstancesReport(days: try await opened.newInstances(from: fromDay, to: toDay, region: regionValue))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .churned:
            let result = ChurnReport(after: after, days: try await opened.churned(after: after, from: fromDay, to: toDay, region: regionValue))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .regions:
            let result = try await opened.regions(from: fromDay, to: toDay)
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .retention:
            let result = RetentionReport(cohorts: try await opened.retention(from: fromDay, to: toDay))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .daysSeen:
            let result = DaysSeenReport(days: try await opened.daysSeen(from: fromDay, to: toDay))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        }
        }
        switch format {
        case .json: print(json)
        case .csv: print(csv, terminator: "")
        case .table where report == .actives: print(csv, terminator: "")
        case .table: print(CSVTable.aligned(csv), terminator: "")
        }
    }
}
