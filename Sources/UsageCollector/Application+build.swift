import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UsageStore
import UsageTrackingCore

/// Builds the collector: routes, group commit, and the store's lifecycle.
///
/// The store must already be migrated; the returned application runs the group-commit service
/// before the HTTP server and stops it after, so no acknowledged ping is left unwritten.
public func buildApplication<Store: UsageStore>(
    configuration: CollectorConfiguration,
    store: Store
) -> some ApplicationProtocol {
    let committer = GroupCommitter(store: store, maximumQueued: configuration.maximumQueuedPings, logger: configuration.logger)
    let router = buildRouter(configuration: configuration, store: store, committer: committer)
    // The store's own services (a connection pool) start first and stop last.
    var services: [any Service] = store.services + [committer]
    if let retentionDays = configuration.retentionDays {
        services.append(RetentionService(store: store, retentionDays: retentionDays, clock: configuration.clock, logger: configuration.logger))
    }
    if configuration.metricsPort != nil {
        services.append(buildOperationsApplication(configuration: configuration, store: store))
    }
    let requestTimeout = TimeAmount.seconds(configuration.requestTimeoutSeconds)
    let clients = configuration.trustProxy ? nil : configuration.maximumConnectionsPerClient.map(ClientConnections.init(maximumPerClient:))
    let (maximumRequests, maximumAge) = (configuration.maximumRequestsPerConnection, TimeAmount.seconds(configuration.maximumConnectionAgeSeconds))
    return Application(
        router: router,
        server: .http1(configuration: .init(
            additionalChannelHandlers: [
                RequestDeadlineHandler(timeout: requestTimeout),
                ConnectionLimitHandler(clients: clients, maximumRequests: maximumRequests, maximumAge: maximumAge),
            ],
            idleTimeout: .seconds(max(60, configuration.requestTimeoutSeconds * 6))
        )),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "usage-collector",
            availableConnectionsDelegate: .maximum(configuration.maximumConnections, logger: configuration.logger)
        ),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            configuration.logger.info("listening", metadata: ["server.address": "\(configuration.host)", "server.port": "\(port)"])
            await configuration.onServerRunning(port)
        },
        logger: configuration.logger
    )
}

/// The operations listener (``CollectorConfiguration/metricsPort``): `/metrics`, `/healthz` and
/// `/readyz` without a token or limits, for Prometheus and the kubelet, on an address the public
/// one does not expose.
func buildOperationsApplication<Store: UsageStore>(configuration: CollectorConfiguration, store: Store) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorBodyMiddleware())
    router.addRoutes(HealthController(store: store).endpoints)
    router.addRoutes(OperationsController(metricsText: configuration.metricsText).metrics)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.metricsHost, port: configuration.metricsPort ?? 0),
            serverName: "usage-collector-operations",
            availableConnectionsDelegate: .maximum(64, logger: configuration.logger)
        ),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.metricsPort ?? 0
            configuration.logger.info("operations listener", metadata: ["server.address": "\(configuration.metricsHost)", "server.port": "\(port)"])
            await configuration.onOperationsServerRunning(port)
        },
        logger: configuration.logger
    )
}

/// Runs the collector on `store` until SIGTERM or SIGINT, then shuts down gracefully.
public func serve(store: some UsageStore, configuration: CollectorConfiguration) async throws {
    let app = buildApplication(configuration: configuration, store: store)
    try await app.runService()
}

/// The collector's routes.
public func buildRouter<Store: UsageStore>(
    configuration: CollectorConfiguration,
    store: Store,
    committer: GroupCommitter<Store>
) -> Router<AppRequestContext> {
    let metrics = CollectorMetrics()
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: ErrorBodyMiddleware())
    router.add(middleware: HeaderLimitMiddleware(limit: configuration.maximumHeaderBytes))
    if configuration.rateLimit > 0 {
        // Every route: the health checks too (the kubelet's probes belong on the operations listener).
        let factor = Double(CollectorConfiguration.readRateFactor)
        router.add(middleware: RateLimitMiddleware(
            limiter: RateLimiter(rate: configuration.rateLimit * factor, burst: configuration.rateBurst * CollectorConfiguration.readRateFactor),
            trustProxy: configuration.trustProxy, metrics: metrics
        ))
    }
    router.addRoutes(HealthController(store: store).endpoints)
    let operations = OperationsController(metricsText: configuration.metricsText)
    router.addRoutes(operations.document)
    let ingest = router.group()
    if configuration.rateLimit > 0 {
        ingest.add(middleware: RateLimitMiddleware(
            limiter: RateLimiter(rate: configuration.rateLimit, burst: configuration.rateBurst),
            trustProxy: configuration.trustProxy, metrics: metrics
        ))
    }
    ingest.addRoutes(IngestController(committer: committer, clock: configuration.clock, metrics: metrics).endpoints)
    // The read side: the admin token when one is set; without one, reports are open only on a
    // loopback bind or with --public-reports, and what is held about one instance only on loopback.
    let reports = router.group().add(middleware: AdminAuthMiddleware(
        token: configuration.adminToken, anonymous: configuration.publicReports ? .anyone : .loopbackOnly
    ))
    reports.addRoutes(ReportsController(store: store, minimumCount: configuration.minimumCount).endpoints, atPath: "/v1/reports")
    reports.addRoutes(DashboardController(store: store, minimumCount: configuration.minimumCount).endpoints)
    // What one instance holds, and the metrics (today's counts, unsuppressed), stay closed to
    // anonymous clients off this machine, even with --public-reports.
    let closed = router.group().add(middleware: AdminAuthMiddleware(
        token: configuration.adminToken, anonymous: configuration.isLoopback ? .loopbackOnly : .refused
    ))
    closed.addRoutes(InstancesController(store: store).endpoints, atPath: "/v1/instances")
    closed.addRoutes(operations.metrics)
    return router
}
