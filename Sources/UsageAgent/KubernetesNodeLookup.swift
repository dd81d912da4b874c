#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import UsageTrackingCore

/// The Kubernetes fallback: `GET /api/v1/nodes/$NODE_NAME` on the in-cluster API server with the
/// pod's service-account token, and the instance from the node's `spec.providerID`. It reaches
/// the instance when the metadata service is out of reach (IMDSv2 required, hop limit 1).
struct KubernetesNodeLookup {
    let configuration: AgentConfiguration
    let nodeName: String
    let deadline: Deadline
    let logger: Logger

    func discover() async -> StepResult {
        guard nodeName.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }), !nodeName.isEmpty else {
            return .nothing("NODE_NAME \(InvalidInput.quoted(nodeName)) is not a node name")
        }
        let api: KubernetesAPI
        switch KubernetesAPI.inCluster(configuration) {
        case .success(let found): api = found
        case .failure(let unavailable): return .nothing(unavailable.reason)
        }
        let answer: Result<SmallResponse, any Error>
        do {
            answer = .success(try await api.get("/api/v1/nodes/\(nodeName)", deadline: deadline.step(seconds: 5)))
        } catch {
            answer = .failure(error)
        }
        await api.shutdown()
        guard case .success(let response) = answer else {
            return .nothing("the API server at \(api.url) did not answer (\(answer))")
        }
        switch response.status {
        case 200: break
        case 404: return .nothing("node \(nodeName) not found")
        default: return .nothing(KubernetesAPI.describe(status: response.status))
        }
        guard let node = try? JSONDecoder().decode(KubernetesNode.self, from: Data(response.body.utf8)) else {
            return .nothing("the API server's answer is not a Node")
        }
        switch node.instance() {
        case .success(let identity): return .found(identity)
        case .failure(let missing): return .nothing(missing.reason)
        }
    }
}
