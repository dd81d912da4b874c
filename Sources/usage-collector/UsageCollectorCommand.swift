import ArgumentParser
import Foundation
import Hummingbird
import JSONLogging
import Logging
import UsageCollector
import UsageStore
import UsageTrackingCore

@main
struct UsageCollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage-collector",
        abstract: "Receives, validates and stores Kubeflow on AWS usage pings, and reports on them.",
        subcommands: [Serve.self, Stats.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command shares: the database and the log level, each with an environment fallback.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite file path (the default) or postgres:// URL. Env: USAGE_DATABASE_URL. Default: ./usage.sqlite")
    var database: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. Env: USAGE_LOG_LEVEL. Default: info")
    var logLevel: String?

    var resolvedDatabase: String {
        database ?? Environment.value("USAGE_DATABASE_URL") ?? "./usage.sqlite"
    }

    func logger(label: String) throws -> Logger {
        let text = logLevel ?? Environment.value("USAGE_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: text) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \(text)")
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Opens the store the `--database` value names.
    func openSQLite(logger: Logger) throws -> SQLiteUsageStore {
        let database = resolvedDatabase
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL is not supported by this build yet; use a SQLite file path")
        }
        do {
            return try SQLiteUsageStore(path: database, logger: logger)
        } catch {
            logger.critical("cannot open the database", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("usage-collector: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

enum Environment {
    /// The value of an environment variable, `nil` when unset or empty.
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the ingest and report API (the default command).")

    @Option(help: "Address to listen on. Env: USAGE_HOST. Default: 127.0.0.1")
    var host: String?

    @Option(help: "Port to listen on. Env: USAGE_PORT. Default: 8080")
    var port: Int?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let port = resolvedPort, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535")
        }
    }

    var resolvedPort: Int? {
        port ?? Environment.value("USAGE_PORT").flatMap(Int.init)
    }

    func run() async throws {
        if port == nil, let text = Environment.value("USAGE_PORT"), Int(text) == nil {
            throw ValidationError("USAGE_PORT must be a port number; got \(text)")
        }
        let logger = try store.logger(label: "usage-collector")
        let sqlite = try store.openSQLite(logger: logger)
        let configuration = CollectorConfiguration(
            host: host ?? Environment.value("USAGE_HOST") ?? "127.0.0.1",
            port: resolvedPort ?? 8080,
            logger: logger
        )
        logger.info("starting", metadata: ["database": "\(store.resolvedDatabase)", "address": "\(configuration.host):\(configuration.port)"])
        let app = buildApplication(configuration: configuration, store: sqlite)
        try await app.runService()
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print active and new instances and pings per UTC day, oldest first.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @Option(help: "table, csv or json.")
    var format: Format = .table

    @Option(help: "First day, YYYY-MM-DD (default: the first day stored).")
    var from: String?

    @Option(help: "Last day, YYYY-MM-DD (default: the last day stored).")
    var to: String?

    @Option(help: "Trailing window in days for active instances: 1, 7 or 28.")
    var window: Int = 1

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard ActivesReport.windows.contains(window) else { throw ValidationError("--window must be 1, 7 or 28") }
    }

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let fromDay: UTCDay?
        let toDay: UTCDay?
        do {
            fromDay = try from.map { text throws(UsageTrackingCore.ValidationError) in try UTCDay(iso8601: text) }
            toDay = try to.map { text throws(UsageTrackingCore.ValidationError) in try UTCDay(iso8601: text) }
        } catch {
            throw ValidationError(error.detail)
        }
        if let fromDay, let toDay, fromDay > toDay {
            throw ValidationError("--from is after --to")
        }
        let sqlite = try store.openSQLite(logger: logger)
        let report = ActivesReport(window: window, days: try await sqlite.dailyActivity(from: fromDay, to: toDay, window: window, region: nil))
        switch format {
        case .table: print(report.table, terminator: "")
        case .csv: print(report.csv, terminator: "")
        case .json: print(report.json)
        }
    }
}
