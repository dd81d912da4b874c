import Logging
import UsageTrackingCore

/// The one fact the agent reports, and where it came from.
public struct InstanceIdentity: Sendable, Hashable {
    public enum Source: String, Sendable {
        case flags
        case imdsV2 = "imds-v2"
        case imdsV1 = "imds-v1"
        case kubernetes
        /// `--node-choice oldest`: the cluster's oldest EC2 node, from the node list.
        case oldestNode = "kubernetes-oldest-node"
    }

    public let instanceID: InstanceID
    public let region: Region
    public let source: Source

    public init(instanceID: InstanceID, region: Region, source: Source) {
        self.instanceID = instanceID
        self.region = region
        self.source = source
    }
}

/// The result of one discovery step: an identity, or why this step found none.
enum StepResult: Sendable {
    case found(InstanceIdentity)
    case nothing(String)
}

/// Runs the discovery chain: flags; with `--node-choice oldest` the cluster's oldest EC2 node;
/// then this pod's node: IMDSv2, IMDSv1, its providerID.
struct Discovery {
    let configuration: AgentConfiguration
    let http: AgentHTTP
    let deadline: Deadline
    let logger: Logger

    /// An identity, or the reasons each step found none (in order).
    func run() async -> Result<InstanceIdentity, NothingToReport> {
        var reasons: [String] = []
        if let instanceID = configuration.instanceID, let region = configuration.region {
            return .success(InstanceIdentity(instanceID: instanceID, region: region, source: .flags))
        }
        if configuration.nodeChoice == .oldest {
            switch await OldestNodeChoice(configuration: configuration, deadline: deadline, logger: logger).choose() {
            case .chosen(let identity): return .success(identity.overridden(by: configuration))
            case .noInstance(let reason): return .failure(NothingToReport(reasons: ["oldest node: \(reason)"]))
            case .unavailable(let reason):
                logger.warning("cannot list the nodes; reporting the node this pod runs on instead", metadata: ["reason": "\(reason)"])
                reasons.append("oldest node: \(reason)")
            }
        }
        if let endpoint = configuration.metadataEndpoint {
            let imds = MetadataService(
                endpoint: endpoint, requestSeconds: Int64(configuration.metadataTimeoutSeconds), http: http, deadline: deadline, logger: logger
            )
            switch await imds.discover() {
            case .found(let identity): return .success(identity.overridden(by: configuration))
            case .nothing(let reason): reasons.append("instance metadata: \(reason)")
            }
        } else {
            reasons.append("instance metadata: disabled by AWS_EC2_METADATA_DISABLED")
        }
        if let nodeName = configuration.nodeName {
            let kubernetes = KubernetesNodeLookup(configuration: configuration, nodeName: nodeName, deadline: deadline, logger: logger)
            switch await kubernetes.discover() {
            case .found(let identity): return .success(identity.overridden(by: configuration))
            case .nothing(let reason): reasons.append("kubernetes: \(reason)")
            }
        } else {
            reasons.append("kubernetes: NODE_NAME is not set")
        }
        return .failure(NothingToReport(reasons: reasons))
    }
}

/// Why there is nothing to report.
struct NothingToReport: Error, Sendable {
    let reasons: [String]
    var description: String { reasons.joined(separator: "; ") }
}

extension InstanceIdentity {
    /// A flag given alone (only `--region`, say) wins over what was discovered.
    func overridden(by configuration: AgentConfiguration) -> InstanceIdentity {
        InstanceIdentity(instanceID: configuration.instanceID ?? instanceID, region: configuration.region ?? region, source: source)
    }
}
