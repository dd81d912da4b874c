#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOSSL
import UsageTrackingCore

/// The in-cluster API server, reached with the pod's service-account token and CA
/// (`kubernetes-api-fallback/` mounts them). Only GETs: the agent reads nodes and nothing else.
struct KubernetesAPI {
    let url: String
    let token: String
    let client: EndpointClient

    /// The API server of this pod, or why there is none to ask.
    static func inCluster(_ configuration: AgentConfiguration) -> Result<KubernetesAPI, KubernetesAPIUnavailable> {
        guard let url = configuration.kubernetesAPIURL else {
            return .failure(KubernetesAPIUnavailable(reason: "not in a pod (KUBERNETES_SERVICE_HOST is not set)"))
        }
        let directory = configuration.serviceAccountDirectory
        guard let token = read(directory + "/token")?.trimmingWhitespace, !token.isEmpty else {
            return .failure(KubernetesAPIUnavailable(reason: "no service-account token is mounted at \(directory) (use the kubernetes-api-fallback overlay)"))
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(directory + "/ca.crt")
        // TLS to the API server: a little more time to connect than the metadata service gets.
        let host = CollectorURL.schemeAndHost(url).host
        return .success(KubernetesAPI(url: url, token: token, client: EndpointClient(tls: tls, connectTimeout: .seconds(2), verifyingHost: host)))
    }

    /// `GET path` (with its query), with an answer of at most `maximumBytes`.
    func get(_ path: String, deadline: NIODeadline, maximumBytes: Int = 64 * 1024) async throws -> SmallResponse {
        try await client.send(
            method: "GET", url: url + path, headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/json")],
            deadline: deadline, maximumBytes: maximumBytes
        )
    }

    func shutdown() async { await client.shutdown() }

    /// The sentence for an answer other than 200.
    static func describe(status: Int) -> String {
        switch status {
        case 401, 403: "HTTP \(status): the service account may not read nodes"
        default: "HTTP \(status) from the API server"
        }
    }

    static func read(_ path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(filePath: path)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

struct KubernetesAPIUnavailable: Error {
    let reason: String
}

/// The parts of a Node object the agent reads: its name, when it was created, its labels (for
/// the region when the providerID names no zone) and `spec.providerID`.
struct KubernetesNode: Decodable {
    struct Metadata: Decodable {
        let name: String?
        let creationTimestamp: String?
        let labels: [String: String]?
    }
    struct Spec: Decodable {
        let providerID: String?
    }
    let metadata: Metadata?
    let spec: Spec?

    /// The EC2 instance behind this node, or why there is none.
    func instance() -> Result<InstanceIdentity, NodeWithoutInstance> {
        let name = metadata?.name ?? "(unnamed)"
        guard let providerID = spec?.providerID else { return .failure(.init(reason: "node \(name) has no spec.providerID", isFargate: false)) }
        do {
            switch try ProviderID(parsing: providerID) {
            case .fargate:
                return .failure(.init(reason: "node \(name) is a Fargate node: there is no EC2 instance to report", isFargate: true))
            case .ec2(let instanceID, let zoneRegion):
                let labelRegion = metadata?.labels?["topology.kubernetes.io/region"].flatMap { try? Region(validating: $0) }
                guard let region = zoneRegion ?? labelRegion else {
                    return .failure(.init(reason: "node \(name) names no zone or region", isFargate: false))
                }
                return .success(InstanceIdentity(instanceID: instanceID, region: region, source: .kubernetes))
            }
        } catch {
            return .failure(.init(reason: "node \(name) has a providerID we do not accept: \(error.detail)", isFargate: false))
        }
    }
}

struct NodeWithoutInstance: Error {
    let reason: String
    let isFargate: Bool
}
