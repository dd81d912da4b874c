import Logging
import UsageStore

/// The scale-out store: ``RowStore`` on one PostgreSQL database shared by any number of
/// collectors (``PostgresDriver``).
///
/// Open it with ``init(url:pseudonymizer:foldInterval:logger:)``, call ``migrate(waitingUpTo:)``
/// before serving, and run ``services`` (its connection pool and journal folder) for as long as
/// it is used.
public typealias PostgresUsageStore = RowStore<PostgresDriver>

extension RowStore where Driver == PostgresDriver {
    /// Prepares the store for the database at `url` (nothing connects until ``migrate(waitingUpTo:)``
    /// or until ``services`` run); throws when the URL is not usable.
    ///
    /// With a `pseudonymizer`, instance IDs are stored as keyed hashes; ``migrate(waitingUpTo:)``
    /// refuses a database written with another key, or with and without one.
    public convenience init(url: String, pseudonymizer: Pseudonymizer? = nil, foldInterval: Duration = .milliseconds(250), logger: Logger) throws {
        self.init(driver: try PostgresDriver(url: url, logger: logger), pseudonymizer: pseudonymizer, foldInterval: foldInterval, logger: logger)
    }

    /// Where the database is (its password is never shown).
    public var url: PostgresDatabaseURL { driver.url }

    /// Applies the migrations the database lacks and checks the pseudonymisation key
    /// (``PostgresDriver/migrate(pseudonymizer:waitingUpTo:)``).
    public func migrate(waitingUpTo limit: Duration = .zero) async throws {
        try await driver.migrate(pseudonymizer: pseudonymizer, waitingUpTo: limit)
    }
}
