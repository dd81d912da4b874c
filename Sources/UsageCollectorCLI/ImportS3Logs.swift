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
        abstract: "Load Amazon S3 server access logs of the kubeflow-on-aws-usage-tracking-<region> buckets (files, folders, .gz), idempotently."
    )

    @Argument(help: "Log files or folders (read recursively); .gz files are decompressed as they are read.")
    var paths: [String]

    @Flag(help: "Read, parse and validate the logs and print the summary without opening the database.")
    var dryRun = false

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
                summary = try await S3LogImporter(merge: { _ in MergeCounts() }, progress: progress).importPaths(paths)
                summary.dryRun = true
            } else {
                // One bulk load (see `bulkMerge`): into an empty store, the rollups and indexes are
                // built once at the end.
                summary = try await store.withStore(logger: logger) { opened in
                    var result = S3LogImporter.Tally()
                    try await opened.bulkMerge { merge in
                        result = try await S3LogImporter(merge: merge, progress: progress).importPaths(paths)
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
