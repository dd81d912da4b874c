import CommandSettings
import UsageTrackingCore

/// Everything the agent needs to know, resolved from flags and the environment and validated.
public struct AgentConfiguration: Sendable {
    /// How the ping is sent.
    public enum PingProtocol: String, Sendable, CaseIterable {
        /// `POST {collector}/v1/pings` with `{"instance_id":…,"region":…}`.
        case json
        /// The original distribution's `GET …/instance-<id>.log?x-instance-id=<id>`.
        case s3
    }

    /// Which node's instance the agent reports.
    public enum NodeChoice: String, Sendable, CaseIterable {
        /// The node this pod runs on (the metadata service, then that node's providerID): works
        /// without any access to the Kubernetes API, but follows the pod from node to node.
        case this
        /// The cluster's EC2 node created first (ties by name): the same instance every day until
        /// that node leaves, so that the count of instances stays near the count of clusters.
        /// Needs `list` on nodes (kubernetes-api-fallback/ grants it and sets this).
        case oldest
    }

    /// The collector's base URL, without the user-info it was given with (see `CollectorURL`).
    public var collectorURL: String?
    /// The collector URL was given with user-info (`user:password@`), which was dropped.
    public var collectorUserInfoRemoved = false
    public var pingProtocol: PingProtocol = .json
    /// The most seconds of random delay before sending; 0 sends at once.
    public var jitterSeconds: Int = 300
    /// The instance metadata service; `nil` when it is disabled.
    public var metadataEndpoint: String? = "http://169.254.169.254"
    /// The most seconds one request to the metadata service may take (the AWS SDKs'
    /// `AWS_METADATA_SERVICE_TIMEOUT`); the service answers in milliseconds when it is there.
    public var metadataTimeoutSeconds: Int = 2
    /// Given by flags: discovery is skipped when both are set.
    public var instanceID: InstanceID?
    public var region: Region?
    public var dryRun = false
    public var strict = false
    /// Extra CA certificates (PEM) to trust for the collector, on top of the system's.
    public var caFile: String?
    /// The bound, in seconds, on discovery and sending together (jitter comes on top).
    public var timeoutSeconds: Int = 30
    /// Kubernetes fallback: the node to look up and where the service account is mounted.
    public var nodeName: String?
    public var nodeChoice: NodeChoice = .this
    public var serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, when running in a pod.
    public var kubernetesAPIURL: String?
    /// Proxy settings for the request to the collector only.
    public var proxy = ProxySettings()

    public init() {}
}

/// A setting that cannot work; the agent exits 64 with this message.
public struct AgentConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The values the command line gave, typed as argument-parser parsed them; `nil` means "not
/// given", so the environment decides (``AgentSettings``).
public struct AgentFlags: Sendable {
    public var collector: String?
    public var pingProtocol: AgentConfiguration.PingProtocol?
    public var jitter: Int?
    public var imdsEndpoint: String?
    public var instanceID: String?
    public var region: String?
    public var dryRun = false
    public var strict = false
    public var caFile: String?
    public var timeout: Int?
    public var serviceAccountDirectory: String?
    public var nodeChoice: AgentConfiguration.NodeChoice?

    public init() {}
}

extension AgentConfiguration {
    /// Resolves flags over environment variables over defaults, the AWS SDK conventions for the
    /// metadata endpoint included, and validates the result.
    public static func resolve(flags: AgentFlags, environment: [String: String]) throws(AgentConfigurationError) -> AgentConfiguration {
        do {
            return try resolving(flags: flags, environment: environment)
        } catch let error as AgentConfigurationError {
            throw error
        } catch {
            throw AgentConfigurationError("\(error)")
        }
    }

    static func resolving(flags: AgentFlags, environment: [String: String]) throws -> AgentConfiguration {
        typealias S = AgentSettings
        var configuration = AgentConfiguration()

        configuration.collectorURL = try S.collector.resolve(flags.collector, in: environment)
        if let given = configuration.collectorURL {
            guard given.hasPrefix("https://") || given.hasPrefix("http://"), given.split(separator: "/").count >= 2 else {
                throw AgentConfigurationError("the collector URL must start with https:// or http://; got \(CollectorURL.quotedForMessage(given))")
            }
            // Never sent (see `CollectorURL`), so never kept: no log line or printed request has it.
            let (url, removed) = CollectorURL.removingUserInfo(given)
            configuration.collectorUserInfoRemoved = removed
            configuration.collectorURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        configuration.pingProtocol = try S.pingProtocol.value(flags.pingProtocol, in: environment)
        if configuration.pingProtocol == .json, configuration.collectorURL == nil {
            throw AgentConfigurationError("protocol json needs a collector URL: --collector or USAGE_COLLECTOR_URL")
        }
        configuration.jitterSeconds = try S.jitter.value(flags.jitter, in: environment)
        configuration.timeoutSeconds = try S.timeout.value(flags.timeout, in: environment)

        // The metadata endpoint and its timeout, as the AWS SDKs read them.
        configuration.metadataTimeoutSeconds = try S.metadataTimeout.value(nil, in: environment)
        if try S.metadataDisabled.resolve(nil, in: environment)?.lowercased() == "true" {
            configuration.metadataEndpoint = nil
        } else if let endpoint = try S.metadataEndpoint.resolve(flags.imdsEndpoint, in: environment) {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw AgentConfigurationError("the metadata endpoint must be an http:// URL; got \(InvalidInput.quoted(endpoint))")
            }
            configuration.metadataEndpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        } else if let mode = try S.metadataEndpointMode.resolve(nil, in: environment) {
            switch mode.lowercased() {
            case "ipv6": configuration.metadataEndpoint = "http://[fd00:ec2::254]"
            case "ipv4": configuration.metadataEndpoint = "http://169.254.169.254"
            default: throw AgentConfigurationError("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6; got \(InvalidInput.quoted(mode))")
            }
        }

        do {
            configuration.instanceID = try flags.instanceID.map { text throws(InvalidInput) in try InstanceID(validating: text) }
            configuration.region = try flags.region.map { text throws(InvalidInput) in try Region(validating: text) }
        } catch {
            throw AgentConfigurationError(error.detail)
        }

        configuration.dryRun = flags.dryRun
        configuration.strict = flags.strict
        configuration.caFile = try S.caFile.resolve(flags.caFile, in: environment)
        configuration.nodeName = try S.nodeName.resolve(nil, in: environment)
        configuration.nodeChoice = try S.nodeChoice.value(flags.nodeChoice, in: environment)
        configuration.serviceAccountDirectory = try S.serviceAccountDirectory.value(flags.serviceAccountDirectory, in: environment)
        if let host = environment["KUBERNETES_SERVICE_HOST"]?.trimmingWhitespace, !host.isEmpty {
            let port = environment["KUBERNETES_SERVICE_PORT"]?.trimmingWhitespace ?? "443"
            configuration.kubernetesAPIURL = host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        }
        configuration.proxy = ProxySettings(environment: environment)
        return configuration
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
