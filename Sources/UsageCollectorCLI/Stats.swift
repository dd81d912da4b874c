import ArgumentParser
import CommandSettings
import Foundation
import UsageCollector
import UsageStore
import UsageTrackingCore

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a report: active (the default), new or churned instances per UTC day, regions, weekly retention, or instances by days seen in the last 28 (and regular instances)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @Option(help: ArgumentHelp("The report: \(ReportCatalog.names.joined(separator: ", ")).", valueName: "name"))
    var report = ActivesReport.name

    @Option(help: "table, csv or json.")
    var format: Format = .table

    // The report's parameters go to the report as text, as a request's query does: the report
    // parses and bounds them, so `stats` and the API refuse the same input in the same words.
    @Option(help: "First day, YYYY-MM-DD (default: the first day stored).")
    var from: String?

    @Option(help: "Last day, YYYY-MM-DD (default: the last day stored).")
    var to: String?

    @Option(help: "actives: trailing window in days, 1, 7 or 28 (default: 1).")
    var window: String?

    @Option(help: "actives, new, churned: only this region.")
    var region: String?

    @Option(help: "churned: days without a ping after which an instance counts as churned (default: 30).")
    var after: String?

    @Option(name: CollectorSettings.minCount.name, help: CollectorSettings.minCount.help)
    var minCount: Int?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard ReportCatalog.named(report) != nil else {
            throw ValidationError("--report must be one of \(ReportCatalog.names.joined(separator: ", "))")
        }
    }

    /// The report's parameters, those given, as the API would receive them.
    var parameters: ReportParameters {
        let given: [(String, String?)] = [("from", from), ("to", to), ("window", window), ("region", region), ("after", after)]
        return ReportParameters(given.compactMap { name, value in value.map { (name, $0) } })
    }

    func run() async throws {
        print(try await text(of: ReportCatalog.named(report)!), terminator: "")
    }

    /// The report of type `type`, rendered as `--format` says.
    func text<R: RenderableReport>(of type: R.Type) async throws -> String {
        let definition: R
        let minCount: Int?
        do {
            definition = try R(parameters)
            minCount = try CollectorSettings.minCount.resolve(self.minCount, in: ProcessInfo.processInfo.environment)
        } catch let error as InvalidInput {
            throw ValidationError(error.detail)
        } catch {
            throw ValidationError("\(error)")
        }
        let logger = try store.logger(label: "usage-collector")
        let result: R.Result
        do {
            result = try await store.withStore(logger: logger) { opened in try await opened.report(definition) }
        } catch let error as InvalidInput {
            throw ValidationError(error.detail)
        }
        switch format {
        case .json: return result.json(minimumCount: minCount) + "\n"
        case .csv: return result.csv(minimumCount: minCount)
        case .table: return result.table(minimumCount: minCount)
        }
    }
}
