import Logging
import UsageStore

/// The embedded default store: ``RowStore`` on one SQLite file (``SQLiteDriver``).
public typealias SQLiteUsageStore = RowStore<SQLiteDriver>

extension RowStore where Driver == SQLiteDriver {
    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// With a `pseudonymizer`, instance IDs are stored as keyed hashes. A database remembers how it
    /// was written: opening it with a different key, or with and without one, is refused.
    ///
    /// `foldInterval` is the time between folds of the ping journal by ``services``.
    public convenience init(path: String, pseudonymizer: Pseudonymizer? = nil, foldInterval: Duration = .milliseconds(250), logger: Logger) throws {
        let driver = try SQLiteDriver(path: path, logger: logger)
        try driver.checkPseudonymization(pseudonymizer)
        try driver.recover()
        self.init(driver: driver, pseudonymizer: pseudonymizer, foldInterval: foldInterval, logger: logger)
    }

    /// The journal mode, `synchronous` level and WAL checkpoint settings in force, for diagnostics and tests.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int, walAutocheckpoint: Int, journalSizeLimit: Int) {
        try await driver.pragmas()
    }
}
