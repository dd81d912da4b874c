import ArgumentParser
import CommandSettings
import Logging

extension AgentConfiguration.PingProtocol: ExpressibleByArgument {}
extension AgentConfiguration.NodeChoice: ExpressibleByArgument {}

/// Every setting of `usage-agent`, declared once (``Setting``): the flags with their
/// environment variables, and the variables of the conventions it follows (the AWS SDKs' for the
/// metadata service, curl's for proxies, the Kubernetes downward API's). The README's table of
/// the agent's settings is made from ``all``.
public enum AgentSettings {
    public static let collector = Setting.text(
        "collector", variable: "USAGE_COLLECTOR_URL", valueName: "URL", default: nil,
        summary: "Collector base URL; required for `json`; with `s3` it replaces the S3 bucket (`&region=` is added)."
    )
    public static let pingProtocol = Setting<AgentConfiguration.PingProtocol>(
        flag: "protocol", variable: "USAGE_PROTOCOL", valueName: "json|s3", default: .json, defaultText: "`json`",
        summary: "`POST {collector}/v1/pings`, or the original `GET https://kubeflow-on-aws-usage-tracking-<region>.s3.<region>.amazonaws.com[.cn]/instance-<id>.log?x-instance-id=<id>`.",
        expectation: "json or s3"
    )
    public static let jitter = Setting.integer(
        "jitter", variable: "USAGE_JITTER_SECONDS", valueName: "SECONDS", default: 300, defaultText: "`300`", in: 0...86_400,
        summary: "Most seconds of random delay before sending; 0 sends at once (the install Job)."
    )
    public static let timeout = Setting.integer(
        "timeout", variable: "USAGE_TIMEOUT_SECONDS", valueName: "SECONDS", default: 30, defaultText: "`30`", in: 1...3600,
        summary: "Bound on discovery and sending together, jitter excluded."
    )
    public static let metadataEndpoint = Setting.text(
        "imds-endpoint", variable: "AWS_EC2_METADATA_SERVICE_ENDPOINT", valueName: "URL", default: nil,
        defaultText: "`http://169.254.169.254`", summary: "Instance metadata endpoint (else as `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` says)."
    )
    public static let metadataEndpointMode = Setting.text(
        nil, variable: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", valueName: "IPv4|IPv6", default: nil, defaultText: "`IPv4`",
        summary: "`IPv6` uses `http://[fd00:ec2::254]` (when no endpoint is given)."
    )
    public static let metadataDisabled = Setting.text(
        nil, variable: "AWS_EC2_METADATA_DISABLED", valueName: "true", default: nil, defaultText: "`false`",
        summary: "`true` skips the metadata service."
    )
    public static let metadataTimeout = Setting.integer(
        nil, variable: "AWS_METADATA_SERVICE_TIMEOUT", valueName: "SECONDS", default: 2, defaultText: "`2`", in: 1...60,
        summary: "Seconds per request to the metadata service."
    )
    public static let instanceID = Setting.text(
        "instance-id", variable: nil, valueName: "ID", default: nil, defaultText: "discovered",
        summary: "Report this instance ID instead of discovering it (still validated)."
    )
    public static let region = Setting.text(
        "region", variable: nil, valueName: "REGION", default: nil, defaultText: "discovered",
        summary: "Report this region instead of discovering it (still validated)."
    )
    public static let caFile = Setting.text(
        "ca-file", variable: "SSL_CERT_FILE", valueName: "PEM", default: nil,
        summary: "Extra CAs for the collector; TLS is always verified."
    )
    public static let nodeChoice = Setting<AgentConfiguration.NodeChoice>(
        flag: "node-choice", variable: "USAGE_NODE_CHOICE", valueName: "this|oldest", default: .this, defaultText: "`this`",
        summary: "`this`: the node the pod runs on; `oldest`: the cluster's oldest EC2 node from the node list, the same instance every day until it leaves (needs `list` on nodes; `kubernetes-api-fallback/` sets it).",
        expectation: "this or oldest"
    )
    public static let nodeName = Setting.text(
        nil, variable: "NODE_NAME", valueName: "NAME", default: nil,
        summary: "The pod's node (downward API), for the Kubernetes fallback."
    )
    public static let serviceAccountDirectory = Setting.text(
        "service-account-dir", variable: nil, valueName: "DIR", default: "/var/run/secrets/kubernetes.io/serviceaccount",
        defaultText: "`/var/run/secrets/kubernetes.io/serviceaccount`",
        summary: "Token and CA for the Kubernetes fallback (API server from `KUBERNETES_SERVICE_HOST`/`_PORT`)."
    )
    public static let dryRun = Setting.switch(
        "dry-run", variable: nil, summary: "Discover and print the exact request that would be sent, without sending it."
    )
    public static let strict = Setting.switch(
        "strict", variable: nil, summary: "Exit 1 when nothing was sent (for debugging; the CronJob never uses it)."
    )
    public static let logLevel = Setting.logLevel(variable: "USAGE_LOG_LEVEL")

    /// The README's order.
    public static let all: [any SettingDescription] = [
        collector, pingProtocol, jitter, timeout, metadataEndpoint, metadataEndpointMode, metadataDisabled, metadataTimeout,
        instanceID, region, caFile, nodeChoice, nodeName, serviceAccountDirectory, dryRun, strict, logLevel,
    ]
}
