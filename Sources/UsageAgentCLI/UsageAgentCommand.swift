import ArgumentParser
import CommandSettings
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

    @Option(name: AgentSettings.collector.name, help: AgentSettings.collector.help)
    var collector: String?

    @Option(name: AgentSettings.pingProtocol.name, help: AgentSettings.pingProtocol.help)
    var pingProtocol: AgentConfiguration.PingProtocol?

    @Option(name: AgentSettings.jitter.name, help: AgentSettings.jitter.help)
    var jitter: Int?

    @Option(name: AgentSettings.metadataEndpoint.name, help: AgentSettings.metadataEndpoint.help)
    var imdsEndpoint: String?

    @Option(name: AgentSettings.instanceID.name, help: AgentSettings.instanceID.help)
    var instanceID: String?

    @Option(name: AgentSettings.region.name, help: AgentSettings.region.help)
    var region: String?

    @Flag(name: AgentSettings.dryRun.name, help: AgentSettings.dryRun.help)
    var dryRun = false

    @Flag(name: AgentSettings.strict.name, help: AgentSettings.strict.help)
    var strict = false

    @Option(name: AgentSettings.caFile.name, help: AgentSettings.caFile.help)
    var caFile: String?

    @Option(name: AgentSettings.timeout.name, help: AgentSettings.timeout.help)
    var timeout: Int?

    @Option(name: AgentSettings.nodeChoice.name, help: AgentSettings.nodeChoice.help)
    var nodeChoice: AgentConfiguration.NodeChoice?

    @Option(name: AgentSettings.serviceAccountDirectory.name, help: AgentSettings.serviceAccountDirectory.help)
    var serviceAccountDir: String?

    @Option(name: AgentSettings.logLevel.name, help: AgentSettings.logLevel.help)
    var logLevel: Logger.Level?

    public init() {}

    public func run() async throws {
        let environment = Self.environment()
        let level: Logger.Level
        do {
            level = try AgentSettings.logLevel.value(logLevel, in: environment)
        } catch {
            // A bad setting is a configuration error (exit 64), as every other one is.
            throw ValidationError(error.description)
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
        flags.pingProtocol = pingProtocol
        flags.jitter = jitter
        flags.imdsEndpoint = imdsEndpoint
        flags.instanceID = instanceID
        flags.region = region
        flags.dryRun = dryRun
        flags.strict = strict
        flags.caFile = caFile
        flags.timeout = timeout
        flags.serviceAccountDirectory = serviceAccountDir
        flags.nodeChoice = nodeChoice
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
