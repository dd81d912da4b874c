import Logging

/// How the collector serves: where it listens and how it reads its clock.
public struct CollectorConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The collector's clock in milliseconds since the epoch; tests replace it.
    public var clock: @Sendable () -> Int64
    public var logger: Logger
    /// Called with the bound port once the server listens (useful with port 0).
    public var onServerRunning: @Sendable (Int) async -> Void = { _ in }
    /// Called with the operations listener's bound port once it listens.
    public var onOperationsServerRunning: @Sendable (Int) async -> Void = { _ in }
    /// The bearer token the read side requires; `nil` serves it without one (loopback only,
    /// unless `publicReports`).
    public var adminToken: String?
    /// Serve reports without a token on a non-loopback address (instances stay private).
    public var publicReports = false
    /// Small-count suppression: report cells of fewer than this many instances show as `<K`.
    public var minimumCount: Int?
    /// Purge per-day rows older than this many days, once a day.
    public var retentionDays: Int?
    /// Ingest requests per second per client address; 0 turns rate limiting off. Every other
    /// route of the main listener has ``readRateFactor`` times this rate and burst.
    public var rateLimit: Double = 10
    /// How much more often a client may call the routes other than ingest (reports, the dashboard,
    /// health checks on the main listener).
    public static let readRateFactor = 10
    /// Requests a client may send at once before the rate applies.
    public var rateBurst = 20
    /// Take the client address from X-Forwarded-For (set only behind a trusted proxy).
    public var trustProxy = false
    /// The most connections served at once; more wait in the listen backlog.
    public var maximumConnections = 2048
    /// The most connections one client (an IPv4 address, an IPv6 /64) holds at once; more are
    /// closed as they open. `nil`: no bound. Not applied with `trustProxy`, where every
    /// connection comes from the proxy.
    public var maximumConnectionsPerClient: Int? = 64
    /// Responses one connection carries before it is closed after the last one.
    public var maximumRequestsPerConnection = 10_000
    /// Seconds after which a connection is closed after its next response.
    public var maximumConnectionAgeSeconds: Int64 = 300
    /// The operations listener (`/metrics`, `/healthz`, `/readyz`, no token and no limits, for
    /// Prometheus and the kubelet): `nil` serves none. Its address defaults to loopback.
    public var metricsPort: Int?
    public var metricsHost = "127.0.0.1"
    /// The most pings waiting for a commit at once; more get 429 `overloaded` with `Retry-After`.
    public var maximumQueuedPings = 1024
    /// Seconds a client has to send a whole request (headers and body).
    public var requestTimeoutSeconds: Int64 = 10
    /// The most bytes of header fields (and target) a request may have: 431 beyond.
    public var maximumHeaderBytes = 8192
    /// The Prometheus text of the metrics, when a metrics backend is bootstrapped.
    public var metricsText: (@Sendable () -> String)?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        clock: @escaping @Sendable () -> Int64 = CollectorConfiguration.systemClock,
        logger: Logger = Logger(label: "usage-collector")
    ) {
        self.host = host
        self.port = port
        self.clock = clock
        self.logger = logger
    }

    /// Whether the listen address is a loopback address, reachable from this machine only.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Refuses settings that would expose the read side by accident.
    public func validate() throws(CollectorConfigurationError) {
        if let adminToken, adminToken.count < 16 {
            throw CollectorConfigurationError("the admin token must have at least 16 characters")
        }
        if !isLoopback, adminToken == nil, !publicReports {
            throw CollectorConfigurationError(
                "refusing to serve reports on \(host) without an admin token: set --admin-token-file or USAGE_ADMIN_TOKEN, or pass --public-reports to publish them"
            )
        }
    }

    /// The system's real-time clock.
    @Sendable public static func systemClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// A setting the collector refuses to start with.
public struct CollectorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
