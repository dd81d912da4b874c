import Logging
import NIOCore
import NIOSSL
import UsageTrackingCore

/// One run of the agent: opt-out, discovery, jitter, one ping. It never throws and never fails
/// the Job: every outcome but a bad configuration is exit 0 (1 with `--strict` when not sent).
public struct Agent {
    public enum Outcome: Sendable, Equatable {
        case disabled(String)
        case dryRun
        case sent
        case nothingToReport(String)
        case notSent(String)
        case badConfiguration(String)

        /// The process exit code for this outcome.
        public func exitCode(strict: Bool) -> Int32 {
            switch self {
            case .disabled, .dryRun, .sent: 0
            case .badConfiguration: 64
            case .nothingToReport, .notSent: strict ? 1 : 0
            }
        }
    }

    let flags: AgentFlags
    let environment: [String: String]
    let logger: Logger
    /// Writes `--dry-run` output (standard output in the executable).
    let output: @Sendable (String) -> Void

    public init(flags: AgentFlags, environment: [String: String], logger: Logger, output: @escaping @Sendable (String) -> Void) {
        self.flags = flags
        self.environment = environment
        self.logger = logger
        self.output = output
    }

    public func run() async -> Outcome {
        // Opt-out comes first, before reading any other setting and before any network call.
        if let reason = OptOut.reason(environment: environment) {
            logger.info("usage tracking is disabled; nothing collected, nothing sent", metadata: ["reason": "\(reason)"])
            return .disabled(reason)
        }
        let configuration: AgentConfiguration
        let collectorTLS: TLSConfiguration
        do {
            configuration = try AgentConfiguration.resolve(flags: flags, environment: environment)
            collectorTLS = try clientTLS(extraCAFile: configuration.caFile)
        } catch {
            logger.error("bad configuration", metadata: ["error": "\(error.description)"])
            return .badConfiguration(error.description)
        }
        if configuration.collectorUserInfoRemoved {
            logger.notice("the collector URL's user-info is not sent (the agent sends no credentials) and is left out of the logs")
        }

        let jitter = configuration.dryRun || configuration.jitterSeconds == 0
            ? TimeAmount.zero : .milliseconds(Int64.random(in: 0...(Int64(configuration.jitterSeconds) * 1000)))
        let deadline = Deadline(end: .now() + .seconds(Int64(configuration.timeoutSeconds)) + jitter)

        // Connecting stays bounded by 1 s, as before the timeout was configurable: a missing
        // service costs 1 s per attempt, not the whole request's time.
        let metadataTimeout = TimeAmount.seconds(Int64(configuration.metadataTimeoutSeconds))
        let metadata = EndpointClient(connectTimeout: min(.seconds(1), metadataTimeout), readTimeout: metadataTimeout)
        let found = await Discovery(configuration: configuration, http: AgentHTTP(metadata: metadata), deadline: deadline, logger: logger).run()
        await metadata.shutdown()
        let identity: InstanceIdentity
        switch found {
        case .success(let value): identity = value
        case .failure(let nothing):
            logger.info("nothing to report; nothing sent", metadata: ["reason": "\(nothing.description)"])
            return .nothingToReport(nothing.description)
        }
        logger.info("found the instance", metadata: [
            "ping.instance_id": "\(identity.instanceID)", "ping.region": "\(identity.region)", "discovery.source": "\(identity.source.rawValue)",
        ])
        if !identity.region.isCataloged {
            logger.notice("the region is well-formed but not in today's catalog", metadata: ["ping.region": "\(identity.region)"])
        }

        let request = PingRequest(identity: identity, configuration: configuration)
        if configuration.dryRun {
            logger.info("dry run: this is the request that would be sent; nothing sent", metadata: Self.metadata(of: request))
            output(request.text)
            return .dryRun
        }
        if jitter > .zero {
            logger.info("waiting before sending (random jitter)", metadata: ["jitter.ms": "\(jitter.nanoseconds / 1_000_000)"])
            try? await Task.sleep(for: .nanoseconds(jitter.nanoseconds))
        }
        let target = request.schemeAndHost
        let client = EndpointClient(tls: collectorTLS, proxy: configuration.proxy.server(scheme: target.scheme, host: target.host),
            connectTimeout: .seconds(3), readTimeout: .seconds(10), verifyingHost: target.scheme == "https" ? target.host : nil)
        let sender = PingSender(client: client, deadline: deadline, logger: logger, anyAnswerCounts: configuration.pingProtocol == .s3 && configuration.collectorURL == nil)
        logger.info("sending", metadata: Self.metadata(of: request))
        let outcome = await sender.send(request)
        await client.shutdown()
        switch outcome {
        case .sent(let status):
            logger.info("sent", metadata: Self.metadata(of: request).merging(["http.status": "\(status)"]) { $1 })
            return .sent
        case .refused(let status):
            logger.warning("the collector refused the ping; not sent", metadata: ["http.status": "\(status)"])
            return .notSent("HTTP \(status)")
        case .unreachable(let reason):
            logger.warning("the collector stayed unreachable; not sent", metadata: ["error": "\(reason)"])
            return .notSent(reason)
        case .unanswered(let reason):
            logger.warning("the collector did not answer in time; it may have stored the ping, which counts once a day however often it is sent", metadata: ["error": "\(reason)"])
            return .notSent(reason)
        }
    }

    /// The exact request, for the logs: method, URL and payload.
    static func metadata(of request: PingRequest) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["ping.method": "\(request.method)", "ping.url": "\(request.url)"]
        if let body = request.body { metadata["ping.payload"] = "\(body)" }
        return metadata
    }
}

