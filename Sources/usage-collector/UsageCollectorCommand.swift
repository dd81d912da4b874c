import ArgumentParser
import Foundation
import Hummingbird
import JSONLogging
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UsageCollector
import UsageImport
import UsageStore
import UsageTrackingCore

@main
struct UsageCollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage-collector",
        abstract: "Receives, validates and stores Kubeflow on AWS usage pings, and reports on them.",
        subcommands: [Serve.self, Stats.self, ImportCSV.self, ImportS3Logs.self, Generate.self, Forget.self, Purge.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command shares: the database and the log level, each with an environment fallback.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite file path (the default) or postgres:// URL. Env: USAGE_DATABASE_URL. Default: ./usage.sqlite")
    var database: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. Env: USAGE_LOG_LEVEL. Default: info")
    var logLevel: String?

    @Option(help: "File holding a key (16+ bytes): instance IDs are stored as HMAC-SHA256(key, ID). Env: USAGE_PSEUDONYMIZE_KEY_FILE")
    var pseudonymizeKeyFile: String?

    @Option(help: "PostgreSQL: seconds to keep trying to connect at start (the database may start after the collector), 0 to fail at once. Env: USAGE_WAIT_FOR_DATABASE_SECONDS. Default: 0")
    var waitForDatabase: Int?

    @Option(help: "Milliseconds between folds of SQLite's ping journal into the day rows and rollups (reports fold what is left first). Env: USAGE_FOLD_INTERVAL_MS. Default: 250")
    var foldIntervalMs: Int?

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

    /// Opens the store the `--database` value names: a SQLite file, or a `postgres://` URL.
    func open(logger: Logger) async throws -> any UsageStore {
        let database = resolvedDatabase
        do {
            let keyFile = pseudonymizeKeyFile ?? Environment.value("USAGE_PSEUDONYMIZE_KEY_FILE")
            let pseudonymizer = try keyFile.map { try Pseudonymizer(keyFile: $0) }
            if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
                // Migrated here, before anything serves: collectors starting together take turns.
                let waitText = waitForDatabase.map(String.init) ?? Environment.value("USAGE_WAIT_FOR_DATABASE_SECONDS") ?? "0"
                guard let wait = Int(waitText), (0...86_400).contains(wait) else {
                    throw ArgumentParser.ValidationError("--wait-for-database must be a whole number of seconds from 0 to 86400; got \(waitText)")
                }
                let store = try PostgresUsageStore(url: database, pseudonymizer: pseudonymizer, logger: logger)
                try await store.migrate(waitingUpTo: .seconds(wait))
                return store
            }
            let intervalText = foldIntervalMs.map(String.init) ?? Environment.value("USAGE_FOLD_INTERVAL_MS") ?? "250"
            guard let foldInterval = Int(intervalText), (1...3_600_000).contains(foldInterval) else {
                throw ArgumentParser.ValidationError("--fold-interval-ms must be a whole number from 1 to 3600000; got \(intervalText)")
            }
            return try SQLiteUsageStore(path: database, pseudonymizer: pseudonymizer, foldInterval: .milliseconds(foldInterval), logger: logger)
        } catch let error as ArgumentParser.ValidationError {
            throw error
        } catch {
            logger.critical("cannot open the database", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("usage-collector: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Opens the store, runs its services (a connection pool) while `body` uses it, then stops them.
    func withStore<T: Sendable>(logger: Logger, _ body: (any UsageStore) async throws -> T) async throws -> T {
        let store = try await open(logger: logger)
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

extension StoreOptions {
    /// A database URL without its password, for logs.
    static func redacted(_ database: String) -> String {
        guard let scheme = database.range(of: "://"), let at = database.range(of: "@"), scheme.upperBound < at.lowerBound else { return database }
        let credentials = database[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return database }
        return database.replacingCharacters(in: colon..<at.lowerBound, with: ":***")
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

    @Option(help: "File holding the bearer token the read side requires. Env: USAGE_ADMIN_TOKEN (the token itself)")
    var adminTokenFile: String?

    @Flag(help: "Serve reports without a token on a non-loopback address (what one instance holds stays private).")
    var publicReports = false

    @Option(help: "Hide report cells of fewer than this many instances (shown as <K). Env: USAGE_MIN_COUNT")
    var minCount: Int?

    @Option(help: "Purge per-day rows older than this many days, once a day. Env: USAGE_RETENTION_DAYS")
    var retentionDays: Int?

    @Option(help: "Ingest requests per second per client address; 0 turns rate limiting off. Env: USAGE_RATE_LIMIT. Default: 10")
    var rateLimit: Double?

    @Option(help: "Requests a client may send in a burst. Env: USAGE_RATE_BURST. Default: 20")
    var rateBurst: Int?

    @Flag(help: "Take the client address from X-Forwarded-For (only behind a proxy you trust).")
    var trustProxy = false

    @Option(help: "The most connections served at once. Default: 2048")
    var maxConnections: Int = 2048

    @Option(help: "Seconds a client has to send a whole request. Default: 10")
    var requestTimeout: Int64 = 10

    @Option(help: "Pings that may wait for a commit at once; more get 429 overloaded with Retry-After. Env: USAGE_MAX_QUEUED_PINGS. Default: 1024")
    var maxQueuedPings: Int?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let port = resolvedPort, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535")
        }
    }

    /// The admin token from the file, else from USAGE_ADMIN_TOKEN.
    func adminToken() throws -> String? {
        if let adminTokenFile {
            guard let data = FileManager.default.contents(atPath: adminTokenFile) else {
                throw ValidationError("cannot read the admin token file \(adminTokenFile)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("the admin token file \(adminTokenFile) is empty") }
            return token
        }
        return Environment.value("USAGE_ADMIN_TOKEN")
    }

    static func integer(_ flag: Int?, environment name: String) throws -> Int? {
        if let flag { return flag }
        guard let text = Environment.value(name) else { return nil }
        guard let value = Int(text) else { throw ValidationError("\(name) must be a whole number; got \(text)") }
        return value
    }

    var resolvedPort: Int? {
        port ?? Environment.value("USAGE_PORT").flatMap(Int.init)
    }

    func run() async throws {
        if port == nil, let text = Environment.value("USAGE_PORT"), Int(text) == nil {
            throw ValidationError("USAGE_PORT must be a port number; got \(text)")
        }
        let logger = try store.logger(label: "usage-collector")
        var configuration = CollectorConfiguration(
            host: host ?? Environment.value("USAGE_HOST") ?? "127.0.0.1",
            port: resolvedPort ?? 8080,
            logger: logger
        )
        configuration.adminToken = try adminToken()
        configuration.publicReports = publicReports
        configuration.minimumCount = try Self.integer(minCount, environment: "USAGE_MIN_COUNT")
        configuration.retentionDays = try Self.integer(retentionDays, environment: "USAGE_RETENTION_DAYS")
        if let rate = rateLimit ?? Environment.value("USAGE_RATE_LIMIT").flatMap(Double.init) { configuration.rateLimit = rate }
        if let burst = try Self.integer(rateBurst, environment: "USAGE_RATE_BURST") { configuration.rateBurst = burst }
        configuration.trustProxy = trustProxy
        configuration.maximumConnections = maxConnections
        configuration.requestTimeoutSeconds = requestTimeout
        if let queued = try Self.integer(maxQueuedPings, environment: "USAGE_MAX_QUEUED_PINGS") { configuration.maximumQueuedPings = queued }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        MetricsSystem.bootstrap(factory)
        configuration.metricsText = { registry.emitToString() }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let opened = try await store.open(logger: logger)
        logger.info("starting", metadata: ["database": "\(StoreOptions.redacted(store.resolvedDatabase))", "address": "\(configuration.host):\(configuration.port)"])
        try await serve(store: opened, configuration: configuration)
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a report: active (the default), new or churned instances per UTC day, regions, weekly retention, or instances by days seen in the last 28 (and regular instances)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    enum Report: String, ExpressibleByArgument, CaseIterable {
        case actives, new, churned, regions, retention
        case daysSeen = "days-seen"
    }

    @Option(help: "actives, new, churned, regions, retention or days-seen.")
    var report: Report = .actives

    @Option(help: "table, csv or json.")
    var format: Format = .table

    @Option(help: "First day, YYYY-MM-DD (default: the first day stored).")
    var from: String?

    @Option(help: "Last day, YYYY-MM-DD (default: the last day stored).")
    var to: String?

    @Option(help: "actives: trailing window in days, 1, 7 or 28.")
    var window: Int = 1

    @Option(help: "actives, new, churned: only this region.")
    var region: String?

    @Option(help: "churned: days without a ping after which an instance counts as churned.")
    var after: Int = 30

    @Option(help: "Hide cells of fewer than this many instances (shown as <K).")
    var minCount: Int?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard ActivesReport.windows.contains(window) else { throw ValidationError("--window must be 1, 7 or 28") }
        if let minCount, minCount < 2 { throw ValidationError("--min-count must be at least 2") }
        guard (1...3650).contains(after) else { throw ValidationError("--after must be between 1 and 3650 days") }
    }

    func run() async throws {
        let fromDay: UTCDay?
        let toDay: UTCDay?
        let regionValue: Region?
        do {
            fromDay = try from.map { text throws(UsageTrackingCore.ValidationError) in try UTCDay(iso8601: text) }
            toDay = try to.map { text throws(UsageTrackingCore.ValidationError) in try UTCDay(iso8601: text) }
            regionValue = try region.map { text throws(UsageTrackingCore.ValidationError) in try Region(validating: text) }
        } catch {
            throw ValidationError(error.detail)
        }
        if let fromDay, let toDay, fromDay > toDay {
            throw ValidationError("--from is after --to")
        }
        let logger = try store.logger(label: "usage-collector")
        let (json, csv): (String, String) = try await store.withStore(logger: logger) { opened in
        switch report {
        case .actives:
            let result = ActivesReport(window: window, days: try await opened.dailyActivity(from: fromDay, to: toDay, window: window, region: regionValue))
            if format == .table { return (result.table(minimumCount: minCount), result.table(minimumCount: minCount)) }
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .new:
            let result = NewInstancesReport(days: try await opened.newInstances(from: fromDay, to: toDay, region: regionValue))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .churned:
            let result = ChurnReport(after: after, days: try await opened.churned(after: after, from: fromDay, to: toDay, region: regionValue))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .regions:
            let result = try await opened.regions(from: fromDay, to: toDay)
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .retention:
            let result = RetentionReport(cohorts: try await opened.retention(from: fromDay, to: toDay))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        case .daysSeen:
            let result = DaysSeenReport(days: try await opened.daysSeen(from: fromDay, to: toDay))
            return (result.json(minimumCount: minCount), result.csv(minimumCount: minCount))
        }
        }
        switch format {
        case .json: print(json)
        case .csv: print(csv, terminator: "")
        case .table where report == .actives: print(csv, terminator: "")
        case .table: print(CSVTable.aligned(csv), terminator: "")
        }
    }
}

/// A CSV text laid out as aligned columns for a terminal.
enum CSVTable {
    static func aligned(_ csv: String) -> String {
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

struct ImportCSV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-csv",
        abstract: "Load pings with their times from CSV files (header time,instance_id,region; RFC 3339 times), idempotently."
    )

    @Argument(help: "CSV files.")
    var files: [String]

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        try await store.withStore(logger: logger) { opened in
            // One bulk load (see `bulkMerge`) for all the files: into an empty store, the rollups
            // and indexes are built once at the end.
            try await opened.bulkMerge { merge in
                for file in files {
                    let summary: CSVImporter.Summary
                    do {
                        summary = try await CSVImporter(merge: merge).importFile(file)
                    } catch let error as ImportError {
                        throw ValidationError(error.description)
                    }
                    print("\(file): \(summary.lines) lines, \(summary.pings) pings, \(summary.rejected) rejected; (instance, day) rows: \(summary.merge.inserted) new, \(summary.merge.updated) grown, \(summary.merge.unchanged) already stored")
                    for rejection in summary.firstRejections { print("  \(rejection)") }
                }
            }
        }
    }
}

struct ImportS3Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-s3-logs",
        abstract: "Load Amazon S3 server access logs of the kubeflow-on-aws-usage-tracking-<region> buckets (files, folders, .gz), idempotently."
    )

    @Argument(help: "Log files or folders (read recursively); .gz files are decompressed as they are read.")
    var paths: [String]

    @Flag(help: "Read, parse and validate the logs and print the summary without opening the database.")
    var dryRun = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let terminal = isatty(2) == 1
        let start = CollectorConfiguration.systemClock()
        var summary = S3LogImporter.Summary()
        let progress: (S3LogImporter.Summary) -> Void = { summary in
            guard terminal else { return }
            let seconds = max(0.001, Double(CollectorConfiguration.systemClock() - start) / 1000)
            let megabytes = Double(summary.bytes) / 1_000_000
            FileHandle.standardError.write(Data("\r\(Int(megabytes)) MB, \(summary.records) records, \(Int(megabytes / seconds)) MB/s   ".utf8))
        }
        do {
            if dryRun {
                summary = try await S3LogImporter(merge: { _ in MergeSummary() }, progress: progress).importPaths(paths)
                summary.dryRun = true
            } else {
                // One bulk load (see `bulkMerge`): into an empty store, the rollups and indexes are
                // built once at the end.
                summary = try await store.withStore(logger: logger) { opened in
                    var result = S3LogImporter.Summary()
                    try await opened.bulkMerge { merge in
                        result = try await S3LogImporter(merge: merge, progress: progress).importPaths(paths)
                    }
                    return result
                }
            }
        } catch let error as ImportError {
            throw ValidationError(error.description)
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print(summary.text, terminator: "")
    }
}

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill the database with a realistic synthetic data set (for demos and benchmarks)."
    )

    @Option(help: "Installations over the whole period.")
    var instances: Int = 1000

    @Option(help: "Days of data, ending on --end.")
    var days: Int = 90

    @Option(help: "Random seed: the same seed gives the same data.")
    var seed: UInt64 = 1

    @Option(help: "Last day, YYYY-MM-DD (default: today, UTC).")
    var end: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard instances > 0, days > 0, days <= 3650 else { throw ValidationError("--instances must be positive and --days from 1 to 3650") }
    }

    func run() async throws {
        let endDay: UTCDay
        do {
            endDay = try end.map { text throws(UsageTrackingCore.ValidationError) in try UTCDay(iso8601: text) } ?? UTCDay(containingMilliseconds: CollectorConfiguration.systemClock())
        } catch {
            throw ValidationError(error.detail)
        }
        let logger = try store.logger(label: "usage-collector")
        let total: MergeSummary = try await store.withStore(logger: logger) { opened in
            var total = MergeSummary()
            try await opened.bulkMerge { merge in
                try await SyntheticUsage(instances: instances, days: days, seed: seed, end: endDay).generate { batch in
                    total = total + (try await merge(batch))
                }
            }
            return total
        }
        print("generated \(instances) instances over \(days) days ending \(endDay): \(total.inserted) (instance, day) rows new, \(total.unchanged) already there")
    }
}

struct Forget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase every row of one instance (right to erasure), leaving no trace of it in the database files."
    )

    @Argument(help: "The instance ID, e.g. i-0123456789abcdef0 (hashed first when the database is pseudonymised).")
    var instanceID: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let id: InstanceID
        do {
            id = try InstanceID(validating: instanceID)
        } catch {
            throw ValidationError(error.detail)
        }
        let logger = try store.logger(label: "usage-collector")
        let removed = try await store.withStore(logger: logger) { try await $0.forget(id) }
        print(removed == 0 ? "nothing was held about \(id)" : "forgot \(id): removed \(removed) rows")
    }
}

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove per-day rows older than N days (a row exactly N days old stays) and print what was removed."
    )

    @Option(help: "Age in days: rows of days before today minus N are removed.")
    var olderThan: Int

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard olderThan >= 1 else { throw ValidationError("--older-than must be at least 1") }
    }

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let today = UTCDay(containingMilliseconds: CollectorConfiguration.systemClock())
        let summary = try await store.withStore(logger: logger) { try await $0.purge(olderThan: olderThan, today: today) }
        print("removed \(summary.dayRows) day rows before \(summary.cutoff) and \(summary.instances) instances left without any")
    }
}
