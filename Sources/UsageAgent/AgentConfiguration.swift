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

    public var collectorURL: String?
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

/// The values the command line gave; `nil` means "not given", so the environment decides.
public struct AgentFlags: Sendable {
    public var collector: String?
    public var pingProtocol: String?
    public var jitter: Int?
    public var imdsEndpoint: String?
    public var instanceID: String?
    public var region: String?
    public var dryRun = false
    public var strict = false
    public var caFile: String?
    public var timeout: Int?
    public var serviceAccountDirectory: String?
    public var nodeChoice: String?

    public init() {}
}

extension AgentConfiguration {
    /// Resolves flags over environment variables over defaults, the AWS SDK conventions for the
    /// metadata endpoint included, and validates the result.
    public static func resolve(flags: AgentFlags, environment: [String: String]) throws(AgentConfigurationError) -> AgentConfiguration {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingWhitespace, !value.isEmpty else { return nil }
            return value
        }
        var configuration = AgentConfiguration()

        configuration.collectorURL = flags.collector ?? env("USAGE_COLLECTOR_URL")
        if let url = configuration.collectorURL {
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.split(separator: "/").count >= 2 else {
                throw AgentConfigurationError("the collector URL must start with https:// or http://; got \(InvalidInput.quoted(url))")
            }
            configuration.collectorURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }

        let protocolName = flags.pingProtocol ?? env("USAGE_PROTOCOL") ?? "json"
        guard let pingProtocol = PingProtocol(rawValue: protocolName) else {
            throw AgentConfigurationError("the protocol must be json or s3; got \(InvalidInput.quoted(protocolName))")
        }
        configuration.pingProtocol = pingProtocol
        if pingProtocol == .json, configuration.collectorURL == nil {
            throw AgentConfigurationError("protocol json needs a collector URL: --collector or USAGE_COLLECTOR_URL")
        }

        let jitterFromEnvironment = flags.jitter != nil ? nil : try integer(env("USAGE_JITTER_SECONDS"), name: "USAGE_JITTER_SECONDS")
        configuration.jitterSeconds = flags.jitter ?? jitterFromEnvironment ?? 300
        guard (0...86_400).contains(configuration.jitterSeconds) else {
            throw AgentConfigurationError("the jitter must be between 0 and 86400 seconds; got \(configuration.jitterSeconds)")
        }
        let timeoutFromEnvironment = flags.timeout != nil ? nil : try integer(env("USAGE_TIMEOUT_SECONDS"), name: "USAGE_TIMEOUT_SECONDS")
        configuration.timeoutSeconds = flags.timeout ?? timeoutFromEnvironment ?? 30
        guard (1...3600).contains(configuration.timeoutSeconds) else {
            throw AgentConfigurationError("the timeout must be between 1 and 3600 seconds; got \(configuration.timeoutSeconds)")
        }

        // The metadata endpoint and its timeout, as the AWS SDKs read them.
        configuration.metadataTimeoutSeconds = try integer(env("AWS_METADATA_SERVICE_TIMEOUT"), name: "AWS_METADATA_SERVICE_TIMEOUT") ?? 2
        guard (1...60).contains(configuration.metadataTimeoutSeconds) else {
            throw AgentConfigurationError("AWS_METADATA_SERVICE_TIMEOUT must be between 1 and 60 seconds; got \(configuration.metadataTimeoutSeconds)")
        }
        if env("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" {
            configuration.metadataEndpoint = nil
        } else if let endpoint = flags.imdsEndpoint ?? env("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw AgentConfigurationError("the metadata endpoint must be an http:// URL; got \(InvalidInput.quoted(endpoint))")
            }
            configuration.metadataEndpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        } else if let mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") {
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
        configuration.caFile = flags.caFile ?? env("SSL_CERT_FILE")
        configuration.nodeName = env("NODE_NAME")
        let choice = flags.nodeChoice ?? env("USAGE_NODE_CHOICE") ?? "this"
        guard let nodeChoice = NodeChoice(rawValue: choice) else {
            throw AgentConfigurationError("the node choice must be this or oldest; got \(InvalidInput.quoted(choice))")
        }
        configuration.nodeChoice = nodeChoice
        if let directory = flags.serviceAccountDirectory { configuration.serviceAccountDirectory = directory }
        if let host = env("KUBERNETES_SERVICE_HOST") {
            let port = env("KUBERNETES_SERVICE_PORT") ?? "443"
            configuration.kubernetesAPIURL = host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        }
        configuration.proxy = ProxySettings(environment: environment)
        return configuration
    }

    static func integer(_ text: String?, name: String) throws(AgentConfigurationError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw AgentConfigurationError("\(name) must be a whole number of seconds; got \(InvalidInput.quoted(text))") }
        return value
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
