import ArgumentParser
import Foundation
import UsageStore

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that every report rollup equals what the day rows give (one snapshot); --repair rebuilds them in one transaction and checks again.",
        discussion: "Run it after an upgrade, after a restore, and after a crash during an import. Exit status: 0 when the rollups equal the rows (or were repaired), 1 when they drift."
    )

    @Flag(help: "Rebuild every rollup from the rows in one transaction (the collector may be running), then check again.")
    var repair = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let clean = try await store.withStore(logger: logger) { opened -> Bool in
            let drifts = try await opened.verify()
            for drift in drifts { print(drift) }
            guard !drifts.isEmpty else {
                print("verify: the rollups equal what the rows give")
                return true
            }
            print("verify: \(drifts.count) rollup cells differ from what the rows give")
            guard repair else { return false }
            try await opened.rebuildRollups()
            let after = try await opened.verify()
            for drift in after { print(drift) }
            print(after.isEmpty ? "verify: repaired; the rollups equal what the rows give" : "verify: \(after.count) cells still differ after the repair")
            return after.isEmpty
        }
        if !clean { throw ExitCode.failure }
    }
}
