#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOSSL
import UsageTrackingCore

/// The Kubernetes fallback: `GET /api/v1/nodes/$NODE_NAME` on the in-cluster API server with the
/// pod's service-account token, and the instance from the node's `spec.providerID`. It reaches
/// the instance when the metadata service is out of reach (IMDSv2 required, hop limit 1).
struct KubernetesNodeLookup {
    let configuration: AgentConfiguration
    let nodeName: String
    let http: AgentHTTP
    let deadline: Deadline
    let logger: Logger

    struct Node: Decodable {
        struct Metadata: Decodable {
            let labels: [String: String]?
        }
        struct Spec: Decodable {
            let providerID: String?
        }
        let metadata: Metadata?
        let spec: Spec?
    }

    func discover() async -> StepResult {
        guard let apiURL = configuration.kubernetesAPIURL else {
            return .nothing("not in a pod (KUBERNETES_SERVICE_HOST is not set)")
        }
        guard nodeName.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }), !nodeName.isEmpty else {
            return .nothing("NODE_NAME \(ValidationError.quoted(nodeName)) is not a node name")
        }
        let directory = configuration.serviceAccountDirectory
        guard let token = Self.read(directory + "/token")?.trimmingWhitespace, !token.isEmpty else {
            return .nothing("no service-account token is mounted at \(directory) (use the kubernetes-api-fallback overlay)")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(directory + "/ca.crt")
        // TLS to the API server: a little more time to connect than the metadata service gets.
        let client = EndpointClient(tls: tls, connectTimeout: .seconds(2))
        let answer: Result<SmallResponse, any Error>
        do {
            answer = .success(try await client.send(
                method: "GET", url: "\(apiURL)/api/v1/nodes/\(nodeName)",
                headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/json")],
                deadline: deadline.step(seconds: 5)
            ))
        } catch {
            answer = .failure(error)
        }
        await client.shutdown()
        guard case .success(let response) = answer else {
            return .nothing("the API server at \(apiURL) did not answer (\(answer))")
        }
        switch response.status {
        case 200: break
        case 401, 403: return .nothing("HTTP \(response.status): the service account may not get nodes")
        case 404: return .nothing("node \(nodeName) not found")
        default: return .nothing("HTTP \(response.status) from the API server")
        }
        let node: Node
        do {
            node = try JSONDecoder().decode(Node.self, from: Data(response.body.utf8))
        } catch {
            return .nothing("the API server's answer is not a Node")
        }
        guard let providerID = node.spec?.providerID else {
            return .nothing("node \(nodeName) has no spec.providerID")
        }
        do {
            switch try ProviderID(parsing: providerID) {
            case .fargate:
                return .nothing("node \(nodeName) is a Fargate node: there is no EC2 instance to report")
            case .ec2(let instanceID, let zoneRegion):
                let labelRegion = node.metadata?.labels?["topology.kubernetes.io/region"].flatMap { try? Region(validating: $0) }
                guard let region = zoneRegion ?? labelRegion else {
                    return .nothing("node \(nodeName) names no zone or region")
                }
                return .found(InstanceIdentity(instanceID: instanceID, region: region, source: .kubernetes))
            }
        } catch {
            return .nothing("node \(nodeName) has a providerID we do not accept: \(error.detail)")
        }
    }

    static func read(_ path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(filePath: path)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
