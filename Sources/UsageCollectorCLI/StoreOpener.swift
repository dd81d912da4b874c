import Logging
import UsageStore
import UsageStorePostgres
import UsageStoreSQLite

/// Opens the store a `--database` value names, by its scheme: `postgres://` and `postgresql://`
/// are PostgreSQL (migrated here, before anything serves: collectors starting together take
/// turns); anything else is a SQLite file path. The only place that knows the drivers.
enum StoreOpener {
    static let postgresSchemes = ["postgres://", "postgresql://"]

    static func isPostgres(_ database: String) -> Bool {
        postgresSchemes.contains { database.hasPrefix($0) }
    }

    static func open(
        _ database: String, pseudonymizer: Pseudonymizer?, foldInterval: Duration, waitingUpTo wait: Duration, logger: Logger
    ) async throws -> any UsageStore {
        if isPostgres(database) {
            let store = try PostgresUsageStore(url: database, pseudonymizer: pseudonymizer, foldInterval: foldInterval, logger: logger)
            try await store.migrate(waitingUpTo: wait)
            return store
        }
        return try SQLiteUsageStore(path: database, pseudonymizer: pseudonymizer, foldInterval: foldInterval, logger: logger)
    }
}
