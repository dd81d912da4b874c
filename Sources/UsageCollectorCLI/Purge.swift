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

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove per-day rows older than N days (a row exactly N days old stays) and print what was removed."
    )

    @Option(help: "Age in days: rows of days before today minus N are removed.")
    var olderThan: Int

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard olderThan >= 1 else { throw ValidationError("--older-than must be at least 1") }
    }

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let today = UTCDay(containingMilliseconds: CollectorConfiguration.systemClock())
        let summary = try await store.withStore(logger: logger) { try await $0.purge(olderThan: olderThan, today: today) }
        print("removed \(summary.dayRows) day rows before \(summary.cutoff) and \(summary.instances) instances left without any")
    }
}
