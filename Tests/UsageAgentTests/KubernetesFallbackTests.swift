import Foundation
import Hummingbird
import Testing
import TestSupport
import UsageTrackingCore

/// The Kubernetes fallback: a fake API server over HTTPS with its own CA, serving a Node.
@Suite(.serialized) struct KubernetesFallbackTests {
    static let token = "fake-service-account-token"

    /// A fake API server serving `GET /api/v1/nodes/<name>` with the given providerID, when the
    /// request carries the pod's bearer token; 401 otherwise.
    static func nodeRoutes(name: String, providerID: String, regionLabel: String? = nil) -> (Router<BasicRequestContext>) -> Void {
        { router in
            router.get("api/v1/nodes/:name") { request, context -> Response in
                let authorization = request.headers.first { $0.name.canonicalName == "authorization" }?.value
                guard authorization == "Bearer \(token)" else {
                    return Response(status: .unauthorized)
                }
                guard context.parameters.get("name") == name else {
                    return Response(status: .notFound)
                }
                let labels = regionLabel.map { #","labels":{"topology.kubernetes.io/region":"\#($0)"}"# } ?? ""
                let body = #"{"kind":"Node","apiVersion":"v1","metadata":{"name":"\#(name)"\#(labels)},"spec":{"providerID":"\#(providerID)"}}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }

    /// The API server's certificate, and a folder as the kubelet mounts a service account: the
    /// token and the API server's CA.
    static func serviceAccount(in directory: TemporaryDirectory) throws -> (SelfSignedCertificate, URL) {
        let certificate = try SelfSignedCertificate(in: directory)
        let accountDirectory = directory.url.appendingPathComponent("serviceaccount")
        try FileManager.default.createDirectory(at: accountDirectory, withIntermediateDirectories: true)
        try Data((token + "\n").utf8).write(to: accountDirectory.appendingPathComponent("token"))
        try FileManager.default.copyItem(atPath: certificate.certificatePath, toPath: accountDirectory.appendingPathComponent("ca.crt").path)
        return (certificate, accountDirectory)
    }

    /// IMDS needs a token whose answer never arrives (hop limit 1); the API server has the node.
    func runWithUnreachableIMDS(providerID: String, regionLabel: String? = nil) async throws -> (ProcessResult, [RecordedRequest], [DailyActivity], String?) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (certificate, accountDirectory) = try Self.serviceAccount(in: directory)

        let apiLog = RequestLog()
        let imdsLog = RequestLog()
        let imds = FakeMetadataService(token: .dropped)
        return try await FakeServer.run(log: imdsLog, routes: imds.install) { imdsPort in
            try await FakeServer.run(log: apiLog, tls: try certificate.serverTLS(), routes: Self.nodeRoutes(name: "ip-10-0-1-23.us-west-2.compute.internal", providerID: providerID, regionLabel: regionLabel)) { apiPort in
                try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
                    var environment = AgentHarness.environment(imdsPort: imdsPort, collectorPort: collector.port)
                    // The default 2 s per metadata request, which the token's 4 s answer misses.
                    environment["AWS_METADATA_SERVICE_TIMEOUT"] = nil
                    environment["NODE_NAME"] = "ip-10-0-1-23.us-west-2.compute.internal"
                    environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1"
                    environment["KUBERNETES_SERVICE_PORT"] = "\(apiPort)"
                    // The run's bound is not under test here: give a loaded machine time.
                    let result = try await AgentHarness.run(["--service-account-dir", accountDirectory.path, "--timeout", "120"], environment: environment, timeout: 180)
                    let stored = try await collector.storedDays()
                    let summary = try await collector.store.instanceRecord(InstanceID(validating: AgentHarness.instanceID))
                    return (result, apiLog.all, stored, summary?.region)
                }
            }
        }
    }

    @Test func aNodeOneHopTooFarIsFoundThroughItsProviderID() async throws {
        let (result, apiRequests, stored, region) = try await runWithUnreachableIMDS(providerID: "aws:///us-west-2b/i-0123456789abcdef0")
        #expect(result.exitCode == 0)
        #expect(apiRequests.map(\.path) == ["/api/v1/nodes/ip-10-0-1-23.us-west-2.compute.internal"])
        #expect(stored.map(\.pings) == [1])
        #expect(region == "us-west-2")
        #expect(result.log("found the instance")?["discovery.source"] == "kubernetes")
    }

    @Test func aProviderIDWithoutZoneTakesTheRegionLabel() async throws {
        let (result, _, stored, region) = try await runWithUnreachableIMDS(providerID: "aws:////i-0123456789abcdef0", regionLabel: "eu-north-1")
        #expect(result.exitCode == 0)
        #expect(stored.map(\.pings) == [1])
        #expect(region == "eu-north-1")
    }

    @Test func aFargateNodeReportsNothing() async throws {
        let (result, apiRequests, stored, _) = try await runWithUnreachableIMDS(providerID: "aws:///us-west-2b/fargate-ip-10-0-1-23.us-west-2.compute.internal")
        #expect(result.exitCode == 0)
        #expect(apiRequests.count == 1)
        #expect(stored.isEmpty)
        #expect(result.log("nothing to report; nothing sent")?["reason"]?.contains("Fargate") == true)
    }
}
