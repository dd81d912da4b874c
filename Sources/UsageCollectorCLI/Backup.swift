import ArgumentParser
import Foundation
import UsageStore
import UsageStoreSQLite

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite database online and consistently (the collector may be running), fsync it, and check it (integrity_check and verify).",
        discussion: "For PostgreSQL, use pg_dump or the server's point-in-time recovery (docs/operations.md)."
    )

    @Argument(help: "Where to write the copy: a new file.")
    var destination: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let settings = try store.settings()
        guard !StoreOpener.isPostgres(settings.database) else {
            FileHandle.standardError.write(Data("""
                usage-collector: backup copies a SQLite database; \(settings.redactedDatabase) is PostgreSQL: back it up with pg_dump (a consistent logical copy of a live database: pg_dump --format=custom --file=usage.dump DATABASE) or with the server's point-in-time recovery (base backups and WAL archiving; automated snapshots on RDS and Aurora). docs/operations.md says how to restore either.

                """.utf8))
            throw ExitCode.failure
        }
        let logger = try store.logger(label: "usage-collector")
        let (pages, drifts) = try await store.withStore(logger: logger) { opened -> (Int, [RollupDrift]) in
            guard let sqlite = opened as? SQLiteUsageStore else { throw ExitCode.failure }
            do {
                return try await sqlite.backup(to: destination)
            } catch let error as StoreError {
                FileHandle.standardError.write(Data("usage-collector: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        for drift in drifts { print(drift) }
        print("backed up \(settings.database) to \(destination): \(pages) pages, fsynced, integrity ok, " + (drifts.isEmpty ? "rollups verified" : "\(drifts.count) rollup cells differ from the rows (run verify --repair on the database)"))
        if !drifts.isEmpty { throw ExitCode.failure }
    }
}
