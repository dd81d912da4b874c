import Foundation
import Logging
import TestSupport
import UsageStore
import UsageTrackingCore
import UsageStorePostgres

/// A `PostgresUsageStore` whose pool runs from creation and whose database is created and migrated
/// before its first use: the conformance suite's `makeStore()` is synchronous, and must not block.
final class RunningPostgresStore: UsageStore {
    let store: PostgresUsageStore
    let pool: Task<Void, Never>
    let folder: Task<Void, Never>
    let migrated: Task<Void, any Error>

    /// Runs the store's pool at once; creates `database` and migrates it before the first use,
    /// and starts the store's other services (its journal folder) after that.
    init(_ store: PostgresUsageStore, creating database: PostgresTestDatabase) {
        self.store = store
        let services = store.services
        let migrated = Task {
            try await database.create()
            try await store.migrate()
        }
        self.migrated = migrated
        pool = Task { try? await services[0].run() }
        folder = Task {
            guard (try? await migrated.value) != nil else { return }
            await withDiscardingTaskGroup { group in
                for service in services.dropFirst() { group.addTask { try? await service.run() } }
            }
        }
    }

    /// Stops the folder, then the pool it queries through (a query after the pool stopped would
    /// wait for ever).
    func stop() {
        let (pool, folder) = (self.pool, self.folder)
        Task {
            folder.cancel()
            await folder.value
            pool.cancel()
        }
    }

    func ready() async throws -> PostgresUsageStore {
        try await migrated.value
        return store
    }

    func record(_ pings: [Ping]) async throws -> [RecordOutcome] { try await ready().record(pings) }
    func merge(_ days: [DayAggregate]) async throws -> MergeCounts { try await ready().merge(days) }
    func readRollups<T: Sendable>(_ body: @Sendable (any RollupReader) async throws -> T) async throws -> T {
        try await ready().readRollups(body)
    }
    func instanceRecord(_ instanceID: InstanceID) async throws -> InstanceRecord? { try await ready().instanceRecord(instanceID) }
    func forget(_ instanceID: InstanceID) async throws -> Int { try await ready().forget(instanceID) }
    func purge(olderThan days: Int, today: UTCDay) async throws -> PurgeResult { try await ready().purge(olderThan: days, today: today) }
    func checkReadiness() async throws { try await ready().checkReadiness() }
    func rebuildRollups() async throws { try await ready().rebuildRollups() }
    func verify() async throws -> [RollupDrift] { try await ready().verify() }
    func importedObjects(named names: [String]) async throws -> [String: ImportedObject] { try await ready().importedObjects(named: names) }
    func holdsUnrecordedImports() async throws -> Bool { try await ready().holdsUnrecordedImports() }
    func bulkImport(_ load: (_ write: @escaping @Sendable (ImportBatch) async throws -> MergeCounts) async throws -> Void) async throws {
        try await ready().bulkImport(load)
    }
}
