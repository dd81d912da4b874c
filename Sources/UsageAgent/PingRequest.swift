import UsageTrackingCore

/// The exact request the agent sends: what `--dry-run` prints and what the logs show.
public struct PingRequest: Sendable, Hashable {
    public let method: String
    public let url: String
    public let headers: [Header]
    public let body: String?

    public struct Header: Sendable, Hashable {
        public let name: String
        public let value: String
    }

    /// The request for `identity` under `configuration`'s protocol and destination.
    public init(identity: InstanceIdentity, configuration: AgentConfiguration) {
        let userAgent = Header(name: "User-Agent", value: "usage-agent/\(AgentVersion.current)")
        switch configuration.pingProtocol {
        case .json:
            method = "POST"
            url = (configuration.collectorURL ?? "") + "/v1/pings"
            headers = [Header(name: "Content-Type", value: "application/json"), userAgent]
            body = PingPayload(instanceID: identity.instanceID, region: identity.region).jsonBody
        case .s3:
            method = "GET"
            let pathAndQuery = UsageBucket.pathAndQuery(for: identity.instanceID)
            if let collector = configuration.collectorURL {
                url = collector + pathAndQuery + "&region=\(identity.region.code)"
            } else {
                url = "https://\(UsageBucket.host(for: identity.region))" + pathAndQuery
            }
            headers = [userAgent]
            body = nil
        }
    }

    /// `scheme`, `host` of the URL, for proxy decisions.
    var schemeAndHost: (scheme: String, host: String) {
        CollectorURL.schemeAndHost(url)
    }

    /// The request as text: request line, headers, a blank line and the body.
    public var text: String {
        var lines = ["\(method) \(url)"]
        lines += headers.map { "\($0.name): \($0.value)" }
        if let body {
            lines += ["", body]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The agent's version, sent in its User-Agent: the release's (``ReleaseVersion``).
public typealias AgentVersion = ReleaseVersion
