#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import UsageTrackingCore

/// `--node-choice oldest`: the cluster's EC2 node created first (ties by name), from a paged
/// `GET /api/v1/nodes?limit=50` with the pod's service account, so that the reported instance
/// stays the same while pods move between nodes and changes only when that node leaves. Of each
/// node it reads the name, `creationTimestamp`, `spec.providerID` and the region label.
struct OldestNodeChoice {
    let configuration: AgentConfiguration
    let deadline: Deadline
    let logger: Logger

    /// Nodes per page: a page of full Node objects stays well under `pageBytes`.
    static let pageSize = 50
    static let pageBytes = 8 << 20
    /// Enough pages for 10,000 nodes, more than EKS allows in one cluster's node groups today.
    static let maximumPages = 200

    enum Outcome {
        /// The oldest EC2 node's instance.
        case chosen(InstanceIdentity)
        /// The list worked and holds no EC2 node (a Fargate-only cluster): nothing to report.
        case noInstance(String)
        /// The nodes could not be listed; the agent falls back to the node it runs on.
        case unavailable(String)
    }

    func choose() async -> Outcome {
        switch KubernetesAPI.inCluster(configuration) {
        case .success(let api):
            let outcome = await choose(from: api)
            await api.shutdown()
            return outcome
        case .failure(let unavailable):
            return .unavailable(unavailable.reason)
        }
    }

    func choose(from api: KubernetesAPI) async -> Outcome {
        var nodes: [KubernetesNode] = []
        var token: String?
        var pages = 0
        repeat {
            var query = "limit=\(Self.pageSize)"
            if let token { query += "&continue=" + Self.percentEncoded(token) }
            let response: SmallResponse
            do {
                response = try await api.get("/api/v1/nodes?" + query, deadline: deadline.step(seconds: 5), maximumBytes: Self.pageBytes)
            } catch {
                return .unavailable("the API server at \(api.url) did not answer (\(error))")
            }
            guard response.status == 200 else { return .unavailable(KubernetesAPI.describe(status: response.status)) }
            guard let page = try? JSONDecoder().decode(NodeList.self, from: Data(response.body.utf8)) else {
                return .unavailable("the API server's answer is not a NodeList")
            }
            nodes += page.items ?? []
            token = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
            pages += 1
        } while token != nil && pages < Self.maximumPages
        if token != nil { return .unavailable("more than \(Self.maximumPages * Self.pageSize) nodes") }

        var candidates: [(node: KubernetesNode, identity: InstanceIdentity)] = []
        var fargate = 0
        for node in nodes {
            switch node.instance() {
            case .success(let identity): candidates.append((node, identity))
            case .failure(let missing): if missing.isFargate { fargate += 1 }
            }
        }
        // RFC 3339 in UTC with whole seconds, as the API server writes it, orders as text; a node
        // without a timestamp counts as the newest.
        let oldest = candidates.min { a, b in
            let (createdA, createdB) = (a.node.metadata?.creationTimestamp ?? "~", b.node.metadata?.creationTimestamp ?? "~")
            return createdA != createdB ? createdA < createdB : (a.node.metadata?.name ?? "") < (b.node.metadata?.name ?? "")
        }
        let others = nodes.count - candidates.count
        guard let oldest else {
            return .noInstance("none of the \(nodes.count) nodes is an EC2 instance (\(fargate) Fargate, \(others - fargate) without an EC2 providerID)")
        }
        logger.info("chose the node", metadata: [
            "node.choice": "oldest",
            "node.name": "\(oldest.node.metadata?.name ?? "")",
            "node.created": "\(oldest.node.metadata?.creationTimestamp ?? "")",
            "reason": "the oldest of \(candidates.count) EC2 nodes (\(nodes.count) listed in \(pages) pages, \(others) without an EC2 instance); it stays the reported node until it leaves the cluster",
        ])
        return .chosen(InstanceIdentity(instanceID: oldest.identity.instanceID, region: oldest.identity.region, source: .oldestNode))
    }

    struct NodeList: Decodable {
        struct Metadata: Decodable {
            let `continue`: String?
        }
        let metadata: Metadata?
        let items: [KubernetesNode]?
    }

    /// A continue token as a query value: everything but unreserved characters percent-encoded.
    /// (URLComponents leaves `+` as it is, which the API server's query parser reads as a space,
    /// and the tokens are base64.)
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return encoded
    }
}
