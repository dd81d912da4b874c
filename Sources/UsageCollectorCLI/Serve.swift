import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import UsageCollector

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the ingest and report API (the default command).")

    @Option(help: "Address to listen on. Env: \(EnvironmentVariable.host). Default: 127.0.0.1")
    var host: String?

    @Option(help: "Port to listen on. Env: \(EnvironmentVariable.port). Default: 8080")
    var port: Int?

    @Option(help: "File holding the bearer token the read side requires. Env: \(EnvironmentVariable.adminToken) (the token itself)")
    var adminTokenFile: String?

    @Flag(help: "Serve reports without a token on a non-loopback address (what one instance holds stays private).")
    var publicReports = false

    @Option(help: "Hide report cells of fewer than this many instances (shown as <K). Env: \(EnvironmentVariable.minCount)")
    var minCount: Int?

    @Option(help: "Purge per-day rows older than this many days, once a day. Env: \(EnvironmentVariable.retentionDays)")
    var retentionDays: Int?

    @Option(help: "Ingest requests per second per client address; 0 turns rate limiting off. Env: \(EnvironmentVariable.rateLimit). Default: 10")
    var rateLimit: Double?

    @Option(help: "Requests a client may send in a burst. Env: \(EnvironmentVariable.rateBurst). Default: 20")
    var rateBurst: Int?

    @Flag(help: "Take the client address from X-Forwarded-For (only behind a proxy you trust).")
    var trustProxy = false

    @Option(help: "The most connections served at once. Default: 2048")
    var maxConnections: Int = 2048

    @Option(help: "Seconds a client has to send a whole request. Default: 10")
    var requestTimeout: Int64 = 10

    @Option(help: "Pings that may wait for a commit at once; more get 429 overloaded with Retry-After. Env: \(EnvironmentVariable.maxQueuedPings). Default: 1024")
    var maxQueuedPings: Int?

    @OptionGroup var store: StoreOptions

    /// How to serve, from the flags with their environment fallbacks and defaults, checked.
    func configuration(in environment: Environment, logger: Logger) throws(CollectorConfigurationError) -> CollectorConfiguration {
        let port = try environment.integer(port, EnvironmentVariable.port) ?? 8080
        guard (0...65535).contains(port) else { throw CollectorConfigurationError("--port must be between 0 and 65535; got \(port)") }
        var configuration = CollectorConfiguration(host: host ?? environment.value(EnvironmentVariable.host) ?? "127.0.0.1", port: port, logger: logger)
        configuration.adminToken = try adminToken(in: environment)
        configuration.publicReports = publicReports
        configuration.minimumCount = try environment.integer(minCount, EnvironmentVariable.minCount)
        configuration.retentionDays = try environment.integer(retentionDays, EnvironmentVariable.retentionDays)
        if let rateLimit {
            configuration.rateLimit = rateLimit
        } else if let text = environment.value(EnvironmentVariable.rateLimit) {
            guard let rate = Double(text) else { throw CollectorConfigurationError("\(EnvironmentVariable.rateLimit) must be a number; got \(text)") }
            configuration.rateLimit = rate
        }
        if let burst = try environment.integer(rateBurst, EnvironmentVariable.rateBurst) { configuration.rateBurst = burst }
        configuration.trustProxy = trustProxy
        configuration.maximumConnections = maxConnections
        configuration.requestTimeoutSeconds = requestTimeout
        if let queued = try environment.integer(maxQueuedPings, EnvironmentVariable.maxQueuedPings) { configuration.maximumQueuedPings = queued }
        try configuration.validate()
        return configuration
    }

    /// The admin token from the file, else from the environment.
    func adminToken(in environment: Environment) throws(CollectorConfigurationError) -> String? {
        guard let adminTokenFile else { return environment.value(EnvironmentVariable.adminToken) }
        guard let data = FileManager.default.contents(atPath: adminTokenFile) else {
            throw CollectorConfigurationError("cannot read the admin token file \(adminTokenFile)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CollectorConfigurationError("the admin token file \(adminTokenFile) is empty") }
        return token
    }

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        var configuration: CollectorConfiguration
        do {
            configuration = try self.configuration(in: .process, logger: logger)
        } catch {
            throw ValidationError(error.description)
        }
        configuration.metricsText = Self.bootstrapMetrics()
        let settings = try store.settings()
        let opened = try await settings.open(logger: logger)
        logger.info("starting", metadata: ["database": "\(settings.redactedDatabase)", "address": "\(configuration.host):\(configuration.port)"])
        try await serve(store: opened, configuration: configuration)
    }

    /// Prometheus as the metrics backend; returns what renders its text for `/metrics`.
    static func bootstrapMetrics() -> @Sendable () -> String {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        MetricsSystem.bootstrap(factory)
        return { registry.emitToString() }
    }
}
