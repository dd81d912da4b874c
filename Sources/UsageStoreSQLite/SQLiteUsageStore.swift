import Foundation
import GRDB
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

    /// An online, consistent copy of the database at `destination`, taken while collectors may
    /// write to it: the journal is folded first (so the copy holds every ping acknowledged before
    /// the call), then SQLite's backup copies one snapshot, the copy is fsynced and checked with
    /// `PRAGMA integrity_check` and ``verify()``. The copy is one file: restore it by stopping the
    /// collector and putting it in place of the database (without a -pings file beside it).
    public func backup(to destination: String) async throws -> (pages: Int, drifts: [RollupDrift]) {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreError("\(destination) exists; a backup never overwrites a file: give a new path")
        }
        try await foldJournal()
        try SQLiteFileCheck.check(destination, role: "backup")
        try SQLiteFileCheck.createIfMissing(destination)
        let pages: Int
        do {
            let copy = try DatabaseQueue(path: destination)
            try driver.main.backup(to: copy)
            pages = try await copy.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
            try copy.close()
            try Self.fsync(destination)
            try Self.fsync(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
            let check = try await DatabaseQueue(path: destination).read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            guard check == ["ok"] else { throw StoreError("the backup at \(destination) fails SQLite's integrity check: \(check.prefix(5).joined(separator: "; "))") }
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            if let error = error as? StoreError { throw error }
            throw StoreError("cannot back up \(driver.path) to \(destination): \(error)")
        }
        // The copy as a collector would open it, then without the journal file that opening made.
        let drifts = try await RowStore(
            driver: try SQLiteDriver(path: destination, logger: driver.logger), pseudonymizer: nil, foldInterval: .seconds(1), logger: driver.logger
        ).verify()
        for suffix in ["-pings", "-pings-wal", "-pings-shm", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: destination + suffix)
        }
        return (pages, drifts)
    }

    static func fsync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw StoreError("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard Glibc.fsync(descriptor) == 0 else { throw StoreError("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }
}
