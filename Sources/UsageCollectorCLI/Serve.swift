import ArgumentParser
import CommandSettings
import Foundation
import Logging
import Metrics
import Prometheus
import UsageCollector

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the ingest and report API (the default command).")

    @Option(name: CollectorSettings.host.name, help: CollectorSettings.host.help)
    var host: String?

    @Option(name: CollectorSettings.port.name, help: CollectorSettings.port.help)
    var port: Int?

    @Option(name: CollectorSettings.adminTokenFile.name, help: CollectorSettings.adminTokenFile.help)
    var adminTokenFile: String?

    @Flag(name: CollectorSettings.publicReports.name, help: CollectorSettings.publicReports.help)
    var publicReports = false

    @Option(name: CollectorSettings.minCount.name, help: CollectorSettings.minCount.help)
    var minCount: Int?

    @Option(name: CollectorSettings.retentionDays.name, help: CollectorSettings.retentionDays.help)
    var retentionDays: Int?

    @Option(name: CollectorSettings.rateLimit.name, help: CollectorSettings.rateLimit.help)
    var rateLimit: Double?

    @Option(name: CollectorSettings.rateBurst.name, help: CollectorSettings.rateBurst.help)
    var rateBurst: Int?

    @Flag(name: CollectorSettings.trustProxy.name, help: CollectorSettings.trustProxy.help)
    var trustProxy = false

    @Option(name: CollectorSettings.maxConnections.name, help: CollectorSettings.maxConnections.help)
    var maxConnections: Int?

    @Option(name: CollectorSettings.maxConnectionsPerClient.name, help: CollectorSettings.maxConnectionsPerClient.help)
    var maxConnectionsPerClient: Int?

    @Option(name: CollectorSettings.metricsHost.name, help: CollectorSettings.metricsHost.help)
    var metricsHost: String?

    @Option(name: CollectorSettings.metricsPort.name, help: CollectorSettings.metricsPort.help)
    var metricsPort: Int?

    @Option(name: CollectorSettings.maxQueuedPings.name, help: CollectorSettings.maxQueuedPings.help)
    var maxQueuedPings: Int?

    @Option(name: CollectorSettings.requestTimeout.name, help: CollectorSettings.requestTimeout.help)
    var requestTimeout: Int?

    @Option(name: CollectorSettings.foldInterval.name, help: CollectorSettings.foldInterval.help)
    var foldIntervalMs: Int?

    @OptionGroup var store: StoreOptions

    /// How to serve, from the flags with their environment fallbacks and defaults, checked.
    func configuration(in environment: [String: String], logger: Logger) throws -> CollectorConfiguration {
        typealias S = CollectorSettings
        var configuration = CollectorConfiguration(
            host: try S.host.value(host, in: environment), port: try S.port.value(port, in: environment), logger: logger
        )
        configuration.adminToken = try adminToken(in: environment)
        configuration.publicReports = try S.publicReports.value(flagGiven: publicReports, in: environment)
        configuration.minimumCount = try S.minCount.resolve(minCount, in: environment)
        configuration.retentionDays = try S.retentionDays.resolve(retentionDays, in: environment)
        configuration.rateLimit = try S.rateLimit.value(rateLimit, in: environment)
        configuration.rateBurst = try S.rateBurst.value(rateBurst, in: environment)
        configuration.trustProxy = try S.trustProxy.value(flagGiven: trustProxy, in: environment)
        configuration.maximumConnections = try S.maxConnections.value(maxConnections, in: environment)
        let perClient = try S.maxConnectionsPerClient.value(maxConnectionsPerClient, in: environment)
        configuration.maximumConnectionsPerClient = perClient == 0 ? nil : perClient
        configuration.metricsHost = try S.metricsHost.value(metricsHost, in: environment)
        configuration.metricsPort = try S.metricsPort.resolve(metricsPort, in: environment)
        configuration.maximumQueuedPings = try S.maxQueuedPings.value(maxQueuedPings, in: environment)
        configuration.requestTimeoutSeconds = Int64(try S.requestTimeout.value(requestTimeout, in: environment))
        try configuration.validate()
        return configuration
    }

    /// The store's settings, with the fold interval only `serve` takes.
    func storeSettings(in environment: [String: String]) throws -> StoreSettings {
        var settings = try store.resolve(in: environment)
        settings.foldIntervalMilliseconds = try CollectorSettings.foldInterval.value(foldIntervalMs, in: environment)
        return settings
    }

    /// The admin token from the file (flag or variable), else the token the environment holds.
    func adminToken(in environment: [String: String]) throws -> String? {
        guard let file = try CollectorSettings.adminTokenFile.resolve(adminTokenFile, in: environment) else {
            return try CollectorSettings.adminToken.resolve(nil, in: environment)
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CollectorConfigurationError("cannot read the admin token file \(file)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CollectorConfigurationError("the admin token file \(file) is empty") }
        return token
    }

    func run() async throws {
        let logger = try store.logger(label: "usage-collector")
        let environment = ProcessInfo.processInfo.environment
        var configuration: CollectorConfiguration
        let settings: StoreSettings
        do {
            configuration = try self.configuration(in: environment, logger: logger)
            settings = try storeSettings(in: environment)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.metricsText = Self.bootstrapMetrics()
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
