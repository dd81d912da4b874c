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
        abstract: "Load pings with their times from CSV files (header time,instance_id,region; RFC 3339 times): each file once, as import-s3-logs does."
    )

    @Argument(help: "CSV files.")
    var files: [String]

    @OptionGroup var store: StoreOptions

    @Flag(help: "Read a file that grew since it was imported from where it grew, instead of refusing it.")
    var reimportChanged = false

    func run() async throws {
        for file in files {
            do {
                try S3LogImporter.check([file])
            } catch {
                throw ValidationError(error.description)
            }
        }
        let logger = try store.logger(label: "usage-collector")
        let results = try await store.withStore(logger: logger) { opened in
            let manifest = ImportManifest(
                known: { names in try await opened.importedObjects(named: names) },
                replacingUnrecorded: try await opened.holdsUnrecordedImports(), reimportChanged: reimportChanged
            )
            var results: [(path: String, tally: CSVImporter.Tally)] = []
            // One bulk load (see `bulkImport`) for all the files: into an empty store, the indexes
            // are built once at the end.
            try await opened.bulkImport { write in
                do {
                    results = try await CSVImporter(manifest: manifest, write: write).importFiles(files)
                } catch let error as ImportError {
                    throw ValidationError(error.description)
                }
            }
            return results
        }
        for (file, summary) in results {
            if summary.alreadyImported {
                print("\(file): already imported, not read")
                continue
            }
            print("\(file): \(summary.lines) lines, \(summary.pings) pings, \(summary.rejected) rejected; (instance, day) rows: \(summary.merge.inserted) new, \(summary.merge.updated) grown, \(summary.merge.unchanged) unchanged" + (summary.grown ? " (read from where it grew)" : ""))
            for rejection in summary.firstRejections { print("  \(rejection)") }
        }
    }
}
