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

struct ImportS3Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-s3-logs",
        abstract: "Load Amazon S3 server access logs of the kubeflow-on-aws-usage-tracking-<region> buckets (files, folders, .gz): each log object once.",
        discussion: """
            The database keeps a manifest of the objects imported (their names relative to the folder given, size, modification time, and a hash of their first and last kilobyte): a folder synced again is read only for its new objects, and a day's pings spread over several objects and imports add up exactly. An object that changed since it was imported is refused, naming it, unless --reimport-changed. The first import after an upgrade from a release without the manifest reads every object once and replaces what the earlier imports stored: give it the whole folder.
            """
    )

    @Argument(help: "Log files or folders (read recursively); .gz files are decompressed as they are read.")
    var paths: [String]

    @Flag(help: "Read, parse and validate the logs and print the summary without opening the database.")
    var dryRun = false

    @Flag(help: "Read an object that grew since it was imported (a download the next sync finished) from where it grew, instead of refusing it.")
    var reimportChanged = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let terminal = isatty(2) == 1
        let start = CollectorConfiguration.systemClock()
        var summary = S3LogImporter.Tally()
        let progress: (S3LogImporter.Tally) -> Void = { summary in
            guard terminal else { return }
            let seconds = max(0.001, Double(CollectorConfiguration.systemClock() - start) / 1000)
            let megabytes = Double(summary.bytes) / 1_000_000
            FileHandle.standardError.write(Data("\r\(Int(megabytes)) MB, \(summary.records) records, \(Int(megabytes / seconds)) MB/s   ".utf8))
        }
        do {
            if dryRun {
                summary = try await S3LogImporter(write: { _ in MergeCounts() }, progress: progress).importPaths(paths)
                summary.dryRun = true
            } else {
                // The paths first: a path that cannot be read opens no database.
                try S3LogImporter.check(paths)
                // One bulk load (see `bulkImport`): into an empty store, the indexes are built once at the end.
                summary = try await store.withStore(logger: logger) { opened in
                    let manifest = ImportManifest(
                        known: { names in try await opened.importedObjects(named: names) },
                        replacingUnrecorded: try await opened.holdsUnrecordedImports(), reimportChanged: reimportChanged
                    )
                    var result = S3LogImporter.Tally()
                    try await opened.bulkImport { write in
                        result = try await S3LogImporter(manifest: manifest, write: write, progress: progress).importPaths(paths)
                    }
                    return result
                }
            }
        } catch let error as ImportError {
            throw ValidationError(error.description)
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print(summary.text, terminator: "")
    }
}
