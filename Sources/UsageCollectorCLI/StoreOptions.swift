import ArgumentParser
import CommandSettings
import Foundation
import JSONLogging
import Logging
import ServiceLifecycle
import UsageCollector
import UsageStore
import UsageStorePostgres
import UsageStoreSQLite
import UsageTrackingCore

/// The settings of the database every command opens (``CollectorSettings/databaseSettings``),
/// each a flag with its environment variable.
struct StoreOptions: ParsableArguments {
    @Option(name: CollectorSettings.database.name, help: CollectorSettings.database.help)
    var database: String?

    @Option(name: CollectorSettings.logLevel.name, help: CollectorSettings.logLevel.help)
    var logLevel: Logger.Level?

    @Option(name: CollectorSettings.pseudonymizeKeyFile.name, help: CollectorSettings.pseudonymizeKeyFile.help)
    var pseudonymizeKeyFile: String?

    @Option(name: CollectorSettings.waitForDatabase.name, help: CollectorSettings.waitForDatabase.help)
    var waitForDatabase: Int?

    /// The options with their environment fallbacks and defaults applied, checked.
    func resolve(in environment: [String: String]) throws(SettingError) -> StoreSettings {
        StoreSettings(
            database: try CollectorSettings.database.value(database, in: environment),
            logLevel: try CollectorSettings.logLevel.value(logLevel, in: environment),
            pseudonymizeKeyFile: try CollectorSettings.pseudonymizeKeyFile.resolve(pseudonymizeKeyFile, in: environment),
            waitForDatabaseSeconds: try CollectorSettings.waitForDatabase.value(waitForDatabase, in: environment)
        )
    }

    /// The settings in the process's environment; a bad one is a usage error (exit 64).
    func settings() throws -> StoreSettings {
        do {
            return try resolve(in: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Sets up JSON logging at the resolved level and returns a logger.
    func logger(label: String) throws -> Logger {
        let level = try settings().logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Opens the store, runs its services (a connection pool) while `body` uses it, then stops them.
    func withStore<T: Sendable>(logger: Logger, _ body: (any UsageStore) async throws -> T) async throws -> T {
        let store = try await settings().open(logger: logger)
        let services = store.services
        if services.isEmpty { return try await body(store) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do { result = .success(try await body(store)) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }
}

/// Where and how a command keeps its data, resolved from flags and environment.
struct StoreSettings: Equatable, Sendable {
    var database: String
    var logLevel: Logger.Level
    var pseudonymizeKeyFile: String?
    var waitForDatabaseSeconds: Int
    /// Time between the journal folder's folds (only `serve` sets it; other commands fold as they go).
    var foldIntervalMilliseconds = 250

    /// The database without its password, for logs.
    var redactedDatabase: String {
        guard let scheme = database.range(of: "://"), let at = database.range(of: "@"), scheme.upperBound < at.lowerBound else { return database }
        let credentials = database[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return database }
        return database.replacingCharacters(in: colon..<at.lowerBound, with: ":***")
    }

    /// Opens the store the database names (``StoreOpener``). A failure is one line on stderr and exit 1.
    func open(logger: Logger) async throws -> any UsageStore {
        do {
            let pseudonymizer = try pseudonymizeKeyFile.map { try Pseudonymizer(keyFile: $0) }
            for warning in pseudonymizer?.warnings ?? [] {
                logger.warning("\(warning)")
            }
            return try await StoreOpener.open(
                database, pseudonymizer: pseudonymizer, foldInterval: .milliseconds(foldIntervalMilliseconds),
                waitingUpTo: .seconds(waitForDatabaseSeconds), logger: logger
            )
        } catch {
            logger.critical("cannot open the database", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("usage-collector: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
