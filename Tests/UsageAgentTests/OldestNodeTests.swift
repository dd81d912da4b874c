import Foundation
import Hummingbird
import Synchronization
import Testing
import TestSupport
import UsageTrackingCore

/// `--node-choice oldest` (USAGE_NODE_CHOICE, which kubernetes-api-fallback/ sets): the agent
/// lists the nodes from a fake API server over HTTPS that pages as the real one does (`limit`,
/// `continue`), and reports the EC2 node created first.
@Suite(.serialized) struct OldestNodeTests {
    struct Node: Sendable {
        var name: String
        var created: String
        var providerID: String?
    }

    static func instanceID(_ n: Int) -> String { String(format: "i-%017x", 0x1000 + n) }
    static let metadataInstance = "i-0aaaaaaaaaaaaaaa0"

    /// `GET /api/v1/nodes?limit=N&continue=T` over `nodes`, in list order, with a continue
    /// token holding `+`, `/` and `=` (base64, as the API server's are); 403 when `forbidden`.
    /// Each node carries a status of about 2 KB, as real ones carry more, so pages are large.
    static func apiRoutes(nodes: [Node], forbidden: Bool = false) -> (Router<BasicRequestContext>) -> Void {
        let status = #","status":{"images":["# + (0..<20).map { #"{"names":["602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.\#($0)-eksbuild.1"],"sizeBytes":29875}"# }.joined(separator: ",") + "]}"
        return { router in
            router.get("api/v1/nodes") { request, _ -> Response in
                let authorization = request.headers.first { $0.name.canonicalName == "authorization" }?.value
                guard authorization == "Bearer \(KubernetesFallbackTests.token)", !forbidden else {
                    return Response(status: forbidden ? .forbidden : .unauthorized)
                }
                let query = request.uri.queryParameters
                let limit = query["limit"].flatMap { Int(String($0)) } ?? nodes.count
                var offset = 0
                if let token = query["continue"].map(String.init) {
                    guard token.hasPrefix("b2Zm+/="), let value = Int(token.dropFirst(7)) else {
                        return Response(status: .gone)  // an expired or mangled token, as the API server answers
                    }
                    offset = value
                }
                let page = nodes[offset..<min(offset + limit, nodes.count)]
                let next = offset + limit < nodes.count ? "b2Zm+/=\(offset + limit)" : ""
                let items = page.map { node in
                    let spec = node.providerID.map { #"{"providerID":"\#($0)"}"# } ?? "{}"
                    return #"{"metadata":{"name":"\#(node.name)","creationTimestamp":"\#(node.created)","labels":{"kubernetes.io/os":"linux"}},"spec":\#(spec)\#(status)}"#
                }
                let body = #"{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"12345","continue":"\#(next)"},"items":[\#(items.joined(separator: ","))]}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }

    /// Runs the agent in a "pod" with the overlay's settings against the fake API server and
    /// the fake metadata service (which knows another instance, this pod's own node).
    static func run(nodes: [Node], forbidden: Bool = false, choice: String = "oldest") async throws -> (ProcessResult, [RecordedRequest], [RecordedRequest], [String]) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (certificate, accountDirectory) = try KubernetesFallbackTests.serviceAccount(in: directory)
        let apiLog = RequestLog()
        let imdsLog = RequestLog()
        return try await FakeServer.run(log: imdsLog, routes: FakeMetadataService(instanceID: metadataInstance).install) { imdsPort in
            try await FakeServer.run(log: apiLog, tls: try certificate.serverTLS(), routes: apiRoutes(nodes: nodes, forbidden: forbidden)) { apiPort in
                try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
                    var environment = AgentHarness.environment(imdsPort: imdsPort, collectorPort: collector.port)
                    environment["USAGE_NODE_CHOICE"] = choice
                    environment["NODE_NAME"] = "ip-10-0-9-9.us-west-2.compute.internal"
                    environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1"
                    environment["KUBERNETES_SERVICE_PORT"] = "\(apiPort)"
                    let result = try await AgentHarness.run(["--service-account-dir", accountDirectory.path, "--timeout", "120"], environment: environment, timeout: 180)
                    var stored: [String] = []
                    for candidate in [metadataInstance] + (0..<nodes.count).map(instanceID) {
                        if try await collector.store.instanceRecord(InstanceID(validating: candidate)) != nil { stored.append(candidate) }
                    }
                    return (result, apiLog.all, imdsLog.all, stored)
                }
            }
        }
    }

    /// 500 nodes in no order of age: Fargate and providerID-less nodes older than every EC2 one,
    /// and the oldest EC2 node on the seventh page.
    static func largeCluster() -> [Node] {
        var nodes = (0..<500).map { n in
            // Created at a time that is not the list order: minutes spread by a fixed permutation.
            let minutes = (n * 7919) % 500
            return Node(name: "ip-10-0-\(n / 250)-\(n % 250).us-west-2.compute.internal",
                        created: String(format: "2026-11-%02dT%02d:%02d:00Z", 2 + minutes / 1440, (minutes / 60) % 24, minutes % 60),
                        providerID: "aws:///us-west-2\(["a", "b", "c"][n % 3])/\(instanceID(n))")
        }
        nodes[3].created = "2026-10-01T00:00:00Z"
        nodes[3].providerID = "aws:///us-west-2a/fargate-ip-10-0-0-3.us-west-2.compute.internal"
        nodes[4].created = "2026-10-02T00:00:00Z"
        nodes[4].providerID = nil
        nodes[333].created = "2026-10-15T08:00:00Z"
        return nodes
    }

    @Test func theOldestEC2NodeOfFiveHundredIsReportedThroughEveryPage() async throws {
        let (result, api, imds, stored) = try await Self.run(nodes: Self.largeCluster())
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(stored == [Self.instanceID(333)], "\(result.standardError)")
        #expect(imds.isEmpty, "the node list decides: no metadata request")
        #expect(api.count == 10)
        #expect(api.first?.path == "/api/v1/nodes?limit=50")
        #expect(api.dropFirst().allSatisfy { $0.path.hasPrefix("/api/v1/nodes?limit=50&continue=b2Zm%2B%2F%3D") }, "\(api.map(\.path).prefix(3))")
        let chose = try #require(result.log("chose the node"))
        #expect(chose["node.name"] == "ip-10-0-1-83.us-west-2.compute.internal")
        #expect(chose["node.created"] == "2026-10-15T08:00:00Z")
        #expect(chose["reason"]?.contains("the oldest of 498 EC2 nodes (500 listed in 10 pages, 2 without an EC2 instance)") == true, "\(chose)")
        #expect(result.log("found the instance")?["discovery.source"] == "kubernetes-oldest-node")
    }

    @Test func aSingleNodeIsReportedAndTiesGoByName() async throws {
        let one = [Node(name: "ip-10-0-0-1.ec2.internal", created: "2026-11-01T00:00:00Z", providerID: "aws:///us-east-1a/\(Self.instanceID(0))")]
        let (result, _, _, stored) = try await Self.run(nodes: one)
        #expect(stored == [Self.instanceID(0)], "\(result.standardError)")

        let tied = [
            Node(name: "ip-10-0-0-9.ec2.internal", created: "2026-11-01T00:00:00Z", providerID: "aws:///us-east-1a/\(Self.instanceID(0))"),
            Node(name: "ip-10-0-0-10.ec2.internal", created: "2026-11-01T00:00:00Z", providerID: "aws:///us-east-1b/\(Self.instanceID(1))"),
        ]
        let (tiedResult, _, _, tiedStored) = try await Self.run(nodes: tied)
        #expect(tiedStored == [Self.instanceID(1)], "ip-10-0-0-10 sorts before ip-10-0-0-9: \(tiedResult.standardError)")
    }

    @Test func aFargateOnlyClusterReportsNothing() async throws {
        let nodes = (0..<3).map { Node(name: "fargate-ip-10-0-0-\($0).us-west-2.compute.internal", created: "2026-11-01T00:00:0\($0)Z", providerID: "aws:///us-west-2a/fargate-ip-10-0-0-\($0).us-west-2.compute.internal") } + [Node(name: "virtual-kubelet", created: "2026-10-01T00:00:00Z", providerID: nil)]
        let (result, _, imds, stored) = try await Self.run(nodes: nodes)
        #expect(result.exitCode == 0)
        #expect(stored.isEmpty)
        #expect(imds.isEmpty)
        let reason = result.log("nothing to report; nothing sent")?["reason"] ?? ""
        #expect(reason.contains("none of the 4 nodes is an EC2 instance (3 Fargate, 1 without an EC2 providerID)"), "\(result.standardError)")
    }

    @Test func aRefusedListFallsBackToThisPodsNode() async throws {
        let (result, api, _, stored) = try await Self.run(nodes: Self.largeCluster(), forbidden: true)
        #expect(result.exitCode == 0)
        #expect(api.count == 1)
        #expect(stored == [Self.metadataInstance], "\(result.standardError)")
        let warning = result.log("cannot list the nodes; reporting the node this pod runs on instead")
        #expect(warning?["reason"]?.contains("HTTP 403: the service account may not read nodes") == true, "\(result.standardError)")
    }

    @Test func theDefaultChoiceReportsThisPodsNodeAndListsNothing() async throws {
        let (result, api, _, stored) = try await Self.run(nodes: Self.largeCluster(), choice: "this")
        #expect(result.exitCode == 0)
        #expect(api.isEmpty)
        #expect(stored == [Self.metadataInstance], "\(result.standardError)")
    }
}
