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

struct ImportCSV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-csv",
        abstract: "Load pings with their times from CSV files (header time,instance_id,region; RFC 3339 times), idempotently."
    )

    @Argument(help: "CSV files.")
    var files: [String]

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        try await store.withStore(logger: logger) { opened in
            // One bulk load (see `bulkMerge`) for all the files: into an empty store, the rollups
            // and indexes are built once at the end.
            try await opened.bulkMerge { merge in
                for file in files {
                    let summary: CSVImporter.Tally
                    do {
                        summary = try await CSVImporter(merge: merge).importFile(file)
                    } catch let error as ImportError {
                        throw ValidationError(error.description)
                    }
                    print("\(file): \(summary.lines) lines, \(summary.pings) pings, \(summary.rejected) rejected; (instance, day) rows: \(summary.merge.inserted) new, \(summary.merge.updated) grown, \(summary.merge.unchanged) already stored")
                    for rejection in summary.firstRejections { print("  \(rejection)") }
                }
            }
        }
    }
}
