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

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill the database with a realistic synthetic data set (for demos and benchmarks)."
    )

    @Option(help: "Installations over the whole period.")
    var instances: Int = 1000

    @Option(help: "Days of data, ending on --end.")
    var days: Int = 90

    @Option(help: "Random seed: the same seed gives the same data.")
    var seed: UInt64 = 1

    @Option(help: "Last day, YYYY-MM-DD (default: today, UTC).")
    var end: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard instances > 0, days > 0, days <= 3650 else { throw ValidationError("--instances must be positive and --days from 1 to 3650") }
    }

    func run() async throws {
        let endDay: UTCDay
        do {
            endDay = try end.map { text throws(InvalidInput) in try UTCDay(iso8601: text) } ?? UTCDay(containingMilliseconds: CollectorConfiguration.systemClock())
        } catch {
            throw ValidationError(error.detail)
        }
        let logger = try store.logger(label: "usage-collector")
        let total: MergeCounts = try await store.withStore(logger: logger) { opened in
            var total = MergeCounts()
            try await opened.bulkMerge { merge in
                try await SyntheticUsage(instances: instances, days: days, seed: seed, end: endDay).generate { batch in
                    total = total + (try await merge(batch))
                }
            }
            return total
        }
        print("generated \(instances) instances over \(days) days ending \(endDay): \(total.inserted) (instance, day) rows new, \(total.unchanged) already there")
    }
}
