import ArgumentParser
import Foundation
import JSONLogging
import Logging
import ServiceLifecycle
import UsageCollector
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite
import UsageStorePostgres

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Options every command shares: the database and the log level, each with an environment fallback.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite file path (the default) or postgres:// URL. Env: \(EnvironmentVariable.database). Default: ./usage.sqlite")
    var database: String?

    @Option(help: "Env: \(EnvironmentVariable.logLevel). Default: info")
    var logLevel: Logger.Level?

    @Option(help: "File holding a key (16+ bytes): instance IDs are stored as HMAC-SHA256(key, ID). Env: \(EnvironmentVariable.pseudonymizeKeyFile)")
    var pseudonymizeKeyFile: String?

    @Option(help: "PostgreSQL: seconds to keep trying to connect at start (the database may start after the collector), 0 to fail at once. Env: \(EnvironmentVariable.waitForDatabase). Default: 0")
    var waitForDatabase: Int?

    @Option(help: "Milliseconds between folds of the ping journal into the day rows and rollups, SQLite's or PostgreSQL's (reports fold what is left first). Env: \(EnvironmentVariable.foldInterval). Default: 250")
    var foldIntervalMs: Int?

    /// The options with their environment fallbacks and defaults applied, checked.
    func resolve(in environment: Environment) throws(CollectorConfigurationError) -> StoreSettings {
        let levelText = environment.value(EnvironmentVariable.logLevel)
        let level: Logger.Level
        if let logLevel {
            level = logLevel
        } else if let levelText {
            guard let parsed = Logger.Level(rawValue: levelText) else {
                throw CollectorConfigurationError("\(EnvironmentVariable.logLevel) must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")); got \(levelText)")
            }
            level = parsed
        } else {
            level = .info
        }
        let wait = try environment.integer(waitForDatabase, EnvironmentVariable.waitForDatabase) ?? 0
        guard (0...86_400).contains(wait) else {
            throw CollectorConfigurationError("--wait-for-database must be a whole number of seconds from 0 to 86400; got \(wait)")
        }
        let foldInterval = try environment.integer(foldIntervalMs, EnvironmentVariable.foldInterval) ?? 250
        guard (1...3_600_000).contains(foldInterval) else {
            throw CollectorConfigurationError("--fold-interval-ms must be a whole number from 1 to 3600000; got \(foldInterval)")
        }
        return StoreSettings(
            database: database ?? environment.value(EnvironmentVariable.database) ?? "./usage.sqlite",
            logLevel: level,
            pseudonymizeKeyFile: pseudonymizeKeyFile ?? environment.value(EnvironmentVariable.pseudonymizeKeyFile),
            waitForDatabaseSeconds: wait,
            foldIntervalMilliseconds: foldInterval
        )
    }

    /// The settings in the process's environment; a bad one is a usage error (exit 64).
    func settings() throws -> StoreSettings {
        do {
            return try resolve(in: .process)
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
    var foldIntervalMilliseconds: Int

    /// A `postgres://` or `postgresql://` URL; anything else is a SQLite file path.
    var isPostgres: Bool { database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") }

    /// The database without its password, for logs.
    var redactedDatabase: String {
        guard let scheme = database.range(of: "://"), let at = database.range(of: "@"), scheme.upperBound < at.lowerBound else { return database }
        let credentials = database[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return database }
        return database.replacingCharacters(in: colon..<at.lowerBound, with: ":***")
    }

    /// Opens the store the database names (PostgreSQL migrated here, before anything serves:
    /// collectors starting together take turns). A failure is one line on stderr and exit 1.
    func open(logger: Logger) async throws -> any UsageStore {
        do {
            let pseudonymizer = try pseudonymizeKeyFile.map { try Pseudonymizer(keyFile: $0) }
            if isPostgres {
                let store = try PostgresUsageStore(url: database, pseudonymizer: pseudonymizer, foldInterval: .milliseconds(foldIntervalMilliseconds), logger: logger)
                try await store.migrate(waitingUpTo: .seconds(waitForDatabaseSeconds))
                return store
            }
            return try SQLiteUsageStore(path: database, pseudonymizer: pseudonymizer, foldInterval: .milliseconds(foldIntervalMilliseconds), logger: logger)
        } catch {
            logger.critical("cannot open the database", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("usage-collector: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
