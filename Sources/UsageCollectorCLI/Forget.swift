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

struct Forget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase every row of one instance (right to erasure), leaving no trace of it in the database files."
    )

    @Argument(help: "The instance ID, e.g. i-0123456789abcdef0 (hashed first when the database is pseudonymised).")
    var instanceID: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let id: InstanceID
        do {
            id = try InstanceID(validating: instanceID)
        } catch {
            throw ValidationError(error.detail)
        }
        let logger = try store.logger(label: "usage-collector")
        let removed = try await store.withStore(logger: logger) { try await $0.forget(id) }
        print(removed == 0 ? "nothing was held about \(id)" : "forgot \(id): removed \(removed) rows")
    }
}
