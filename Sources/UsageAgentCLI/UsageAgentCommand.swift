import ArgumentParser
import JSONLogging
import Logging
import UsageAgent
import UsageTrackingCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension AgentConfiguration.PingProtocol: ExpressibleByArgument {}
extension AgentConfiguration.NodeChoice: ExpressibleByArgument {}

/// `usage-agent`: find this node's instance ID and send it, once.
public struct UsageAgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "usage-agent",
        abstract: "Sends the EC2 instance ID of this node, and its region, to the Kubeflow on AWS maintainers; nothing else.",
        discussion: """
            Opt out with DO_NOT_TRACK=1 or USAGE_TRACKING_ENABLED=false: the agent then exits 0 before any network call.
            Discovery: IMDSv2, IMDSv1 (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE, \
            AWS_EC2_METADATA_DISABLED, AWS_METADATA_SERVICE_TIMEOUT: seconds per request, 1 to 60, default 2), then the Kubernetes node's spec.providerID when NODE_NAME is set and a \
            service-account token is mounted. The request to the collector honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
            Exit codes: 0 sent, disabled, nothing to report or not sent; 64 bad flags or configuration; 1 not sent with --strict.
            """
    )

    @Option(help: "Collector base URL. Env: USAGE_COLLECTOR_URL. Required for --protocol json; with s3 it replaces the S3 bucket.")
    var collector: String?

    @Option(name: .customLong("protocol"), help: "json (POST /v1/pings) or s3 (the original GET to the regional bucket). Env: USAGE_PROTOCOL. Default: json")
    var pingProtocol: AgentConfiguration.PingProtocol?

    @Option(help: "Most seconds of random delay before sending; 0 sends at once. Env: USAGE_JITTER_SECONDS. Default: 300")
    var jitter: Int?

    @Option(help: "Instance metadata endpoint. Env: AWS_EC2_METADATA_SERVICE_ENDPOINT. Default: http://169.254.169.254")
    var imdsEndpoint: String?

    @Option(help: "Report this instance ID instead of discovering it (still validated).")
    var instanceID: String?

    @Option(help: "Report this region instead of discovering it (still validated).")
    var region: String?

    @Flag(help: "Discover and print the exact request that would be sent, without sending it.")
    var dryRun = false

    @Flag(help: "Exit 1 when nothing was sent (for debugging; the CronJob never uses it).")
    var strict = false

    @Option(help: "Extra CA bundle (PEM) to trust for the collector; TLS is always verified. Env: SSL_CERT_FILE")
    var caFile: String?

    @Option(help: "Bound in seconds on discovery and sending together, jitter excluded. Env: USAGE_TIMEOUT_SECONDS. Default: 30")
    var timeout: Int?

    @Option(help: "Which node to report: this (the pod's own) or oldest (the cluster's oldest EC2 node; needs list on nodes). Env: USAGE_NODE_CHOICE. Default: this")
    var nodeChoice: AgentConfiguration.NodeChoice?

    @Option(help: "Where the service-account token and CA are mounted, for the Kubernetes fallback.")
    var serviceAccountDir: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. Env: USAGE_LOG_LEVEL. Default: info")
    var logLevel: String?

    public func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    public init() {}

    public func run() async throws {
        let environment = Self.environment()
        let levelText = logLevel ?? environment["USAGE_LOG_LEVEL"]
        guard let level = levelText.map({ Logger.Level(rawValue: $0) }) ?? .info else {
            // A bad setting is a configuration error (exit 64), as every other one is.
            throw ValidationError("USAGE_LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")); got \(InvalidInput.quoted(levelText ?? ""))")
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        let agent = Agent(flags: flags, environment: environment, logger: Logger(label: "usage-agent")) { text in
            print(text, terminator: "")
        }
        let outcome = await agent.run()
        let code = outcome.exitCode(strict: strict)
        if code != 0 { throw ExitCode(code) }
    }

    /// The parsed command line, for the library.
    var flags: AgentFlags {
        var flags = AgentFlags()
        flags.collector = collector
        flags.pingProtocol = pingProtocol?.rawValue
        flags.jitter = jitter
        flags.imdsEndpoint = imdsEndpoint
        flags.instanceID = instanceID
        flags.region = region
        flags.dryRun = dryRun
        flags.strict = strict
        flags.caFile = caFile
        flags.timeout = timeout
        flags.serviceAccountDirectory = serviceAccountDir
        flags.nodeChoice = nodeChoice?.rawValue
        return flags
    }

    /// The process environment, read without Foundation.
    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
