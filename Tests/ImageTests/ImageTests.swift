import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import Testing
import TestSupport
import UsageTrackingCore

/// Both release images, run the way the cluster runs them: the CronJob's and the Deployment's pod
/// specs (command, args, the ConfigMap's environment, user 65532, read-only root, no
/// capabilities, the volumes they mount and nothing else) applied to the unpacked image.
@Suite(.serialized, .enabled(if: Images.shouldRun, Images.skipMessage))
struct ImageTests {
    static let instanceID = "i-0123456789abcdef0"

    /// The agent's pod as the default component renders it, and its environment with what a
    /// test cluster's overlay would change: the collector's address, no jitter, the metadata
    /// service's address (the real one is 169.254.169.254).
    static func agentPod(collector: String, imdsPort: Int) async throws -> (PodContainer, [String: String]) {
        let pod = try await PodContainer.rendering("awsconfigs/common/aws-telemetry", kind: "CronJob", name: "aws-kubeflow-telemetry")
        var environment = try pod.environment()
        environment["USAGE_COLLECTOR_URL"] = collector
        environment["USAGE_JITTER_SECONDS"] = "0"
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:\(imdsPort)"
        return (pod, environment)
    }

    /// The fake metadata service, a real collector, and an HTTPS front for it with a
    /// certificate signed by a private CA (as an ingress or load balancer terminates TLS).
    static func withCollectorOverHTTPS<T: Sendable>(_ body: (_ collector: LiveCollector, _ httpsPort: Int, _ imdsPort: Int, _ ca: PrivateCertificateAuthority) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = try await PrivateCertificateAuthority.make(in: directory)
        return try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            try await FakeServer.run(log: RequestLog(), tls: try ca.serverTLS(), routes: { router in
                router.get("**") { request, _ in try await Self.forward(request, to: collector.port) }
                router.post("**") { request, _ in try await Self.forward(request, to: collector.port) }
            }) { httpsPort in
                try await FakeServer.run(log: RequestLog(), routes: FakeMetadataService(instanceID: instanceID).install) { imdsPort in
                    try await body(collector, httpsPort, imdsPort, ca)
                }
            }
        }
    }

    static func forward(_ request: Request, to port: Int) async throws -> Response {
        var forwarded = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(request.uri.string)")
        forwarded.method = .init(rawValue: request.method.rawValue)
        for field in request.headers where field.name.canonicalName.lowercased() != "host" {
            forwarded.headers.add(name: field.name.canonicalName, value: field.value)
        }
        forwarded.body = .bytes(try await request.body.collect(upTo: 64 << 10))
        let answer = try await HTTPClient.shared.execute(forwarded, timeout: .seconds(30))
        let bytes = try await answer.body.collect(upTo: 1 << 20)
        return Response(status: .init(code: Int(answer.status.code)), headers: [.contentType: answer.headers.first(name: "Content-Type") ?? "application/json"], body: .init(byteBuffer: bytes))
    }

    static func storedPings(_ collector: LiveCollector) async throws -> [Int] {
        try await collector.store.instanceRecord(InstanceID(validating: instanceID))?.days.map(\.pings) ?? []
    }

    @Test func theImagesHoldExactlyTheFilesTheScriptStagesAndTheConfigurationThePodsExpect() async throws {
        for product in ["usage-agent", "usage-collector"] {
            let image = try await Images.unpack(product)
            defer { image.remove() }
            #expect(image.user == (65532, 65532), "\(product) runs as 65532 by default")
            #expect(image.arguments.first == "/usr/local/bin/\(product)")
            let files = image.files
            #expect(files.contains("/usr/local/bin/\(product)"))
            #expect(files.contains("/etc/passwd") && files.contains("/etc/group"))
            #expect(files.contains("/lib64/ld-linux-x86-64.so.2"), "\(product): the dynamic loader")
            let unexpected = files.filter { !($0.hasPrefix("/lib") || $0.hasPrefix("/usr/lib/") || ["/usr/local/bin/\(product)", "/etc/passwd", "/etc/group", "/etc/ssl/certs/ca-certificates.crt"].contains($0)) }
            #expect(unexpected.isEmpty, "\(product) holds files beyond the binary, its libraries, the CA bundle and the user: \(unexpected)")
            let passwd = try String(contentsOfFile: image.rootfs + "/etc/passwd", encoding: .utf8)
            #expect(passwd == "nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n")
            // The bundle is Debian's, whole: without it the agent could not verify the collector.
            let bundle = image.rootfs + "/etc/ssl/certs/ca-certificates.crt"
            #expect(FileManager.default.fileExists(atPath: bundle), "\(product): the image has no CA bundle at /etc/ssl/certs/ca-certificates.crt; scripts/stage-rootfs.sh copies it")
            let certificates = (try? NIOSSLCertificate.fromPEMFile(bundle)) ?? []
            #expect(certificates.count > 100, "\(product): the CA bundle at /etc/ssl/certs/ca-certificates.crt holds \(certificates.count) readable certificates")
        }
    }

    /// Each product is an OCI image index naming the platform of its image, in the layout and in
    /// the archive a registry push reads (skopeo reads it so, as `skopeo copy --all` would push
    /// it); its linux/amd64 entry is the image the other tests unpack, whose config says so too.
    @Test(arguments: ["usage-agent", "usage-collector"])
    func eachImageIsAnIndexNamingItsPlatform(_ product: String) async throws {
        guard Images.built else { throw ImageError("no images in \(Images.layout): run scripts/build-images.sh") }
        let indexDescriptor = try Images.descriptor(ref: product)
        #expect(indexDescriptor["mediaType"] as? String == "application/vnd.oci.image.index.v1+json", "ref \(product) is an image index: \(indexDescriptor)")
        let indexDigest = try #require(indexDescriptor["digest"] as? String)
        let entries = try Images.layoutJSON(indexDigest)["manifests"] as? [[String: Any]] ?? []
        let platforms = entries.map { ($0["platform"] as? [String: String]) ?? [:] }
        #expect(platforms.allSatisfy { $0["os"] == "linux" }, "\(platforms)")
        #expect(Set(platforms.compactMap { $0["architecture"] }).isSubset(of: ["amd64", "arm64"]), "\(platforms)")
        let amd64 = try #require(entries.first { ($0["platform"] as? [String: String])?["architecture"] == "amd64" }, "the index names no linux/amd64 image: \(platforms)")
        let amd64Digest = try #require(amd64["digest"] as? String)
        #expect(try Images.descriptor(ref: "\(product)-linux-amd64")["digest"] as? String == amd64Digest, "the tests unpack the index's amd64 image")

        let manifest = try Images.layoutJSON(amd64Digest)
        let configDigest = try #require((manifest["config"] as? [String: Any])?["digest"] as? String)
        let config = try Images.layoutJSON(configDigest)
        #expect(config["architecture"] as? String == "amd64" && config["os"] as? String == "linux", "image config: \(config["architecture"] ?? "none")/\(config["os"] ?? "none")")

        // The archive that README pushes holds the same index under the manifests' image name.
        let skopeo = try #require(ExternalTools.path("skopeo"), "skopeo is missing (apt-get install skopeo; .ci/run does)")
        let archive = Images.output + "/\(product).oci.tar"
        let raw = try await ProcessRunner.runAsync(skopeo, ["inspect", "--raw", "oci-archive:\(archive)"], timeout: 120)
        #expect(raw.exitCode == 0, "skopeo inspect --raw: \(raw.standardError)")
        let pushed = try JSONSerialization.jsonObject(with: Data(raw.standardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(pushed["mediaType"] as? String == "application/vnd.oci.image.index.v1+json", "the archive's image is an index: \(raw.standardOutput)")
        let pushedEntries = pushed["manifests"] as? [[String: Any]] ?? []
        #expect(pushedEntries.contains { $0["digest"] as? String == amd64Digest && ($0["platform"] as? [String: String]) == ["os": "linux", "architecture": "amd64"] },
                "the archive's index names the amd64 image with its platform: \(raw.standardOutput)")
        let listing = try await ProcessRunner.runAsync("/usr/bin/tar", ["-xOf", archive, "index.json"], timeout: 60)
        let archiveIndex = try JSONSerialization.jsonObject(with: Data(listing.standardOutput.utf8)) as? [String: Any] ?? [:]
        let names = (archiveIndex["manifests"] as? [[String: Any]] ?? []).compactMap { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] }
        #expect(names.count == 1 && names.allSatisfy { $0.hasPrefix("public.ecr.aws/kubeflow-on-aws/\(product):") }, "the name the manifests use: \(names)")
    }

    /// The SBOM beside each archive: SPDX 2.3 (checked with the SPDX project's own validator,
    /// `pyspdxtools`, where installed; .ci/requirements.txt installs it), every package with a
    /// version and a purl, the packages each image is made of and none it is not.
    @Test(arguments: [
        ("usage-agent", ["libc6", "libstdc++6", "zlib1g", "ca-certificates", "swift-toolchain-runtime", "swift-nio", "swift-nio-ssl", "async-http-client", "swift-argument-parser"],
         ["hummingbird", "grdb.swift", "postgres-nio", "libsqlite3-0"]),
        ("usage-collector", ["libc6", "libsqlite3-0", "ca-certificates", "swift-toolchain-runtime", "hummingbird", "grdb.swift", "postgres-nio", "swift-nio"],
         ["async-http-client"]),
    ])
    func eachImageHasAValidSBOMOfWhatIsInIt(_ product: String, _ inside: [String], _ outside: [String]) async throws {
        let path = Images.output + "/\(product).spdx.json"
        guard FileManager.default.fileExists(atPath: path) else { throw ImageError("no SBOM at \(path): run scripts/build-images.sh") }
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        #expect(document["spdxVersion"] as? String == "SPDX-2.3")
        let packages = document["packages"] as? [[String: Any]] ?? []
        let names = Set(packages.compactMap { $0["name"] as? String })
        for name in inside { #expect(names.contains(name), "\(product)'s SBOM lists \(name)") }
        for name in outside { #expect(!names.contains(name), "\(product) holds no \(name), and its SBOM must not list it") }
        for package in packages {
            #expect((package["versionInfo"] as? String)?.isEmpty == false, "\(package["name"] ?? "?") has a version")
            let purl = ((package["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"] as? String) ?? ""
            #expect(purl.hasPrefix("pkg:"), "\(package["name"] ?? "?") has a package URL")
        }
        if let validator = ExternalTools.path("pyspdxtools") {
            let checked = try await ProcessRunner.runAsync(validator, ["-i", path], timeout: 120)
            #expect(checked.exitCode == 0 && !(checked.standardError + checked.standardOutput).contains("invalid"), "pyspdxtools: \(checked.standardError)\(checked.standardOutput)")
        } else {
            #expect(!ExternalTools.inCI, "pyspdxtools (PyPI spdx-tools) is installed in CI")
        }
    }

    @Test func theAgentImageSendsOnePingOverHTTPSTrustingAPrivateCAGivenByCAFile() async throws {
        let image = try await Images.unpack("usage-agent")
        defer { image.remove() }
        try await Self.withCollectorOverHTTPS { collector, httpsPort, imdsPort, ca in
            let (pod, environment) = try await Self.agentPod(collector: "https://127.0.0.1:\(httpsPort)", imdsPort: imdsPort)
            #expect(pod.runAsUser == 65532 && pod.runAsGroup == 65532)
            #expect(pod.droppedCapabilities == ["ALL"] && !pod.allowPrivilegeEscalation)
            var run = PodRun(image: image, container: pod)
            run.files["/etc/usage-agent-ca/ca.pem"] = ca.certificatePath  // as a ConfigMap volume would
            let arguments = pod.arguments(image: image, entrypointCount: 1) + ["--ca-file", "/etc/usage-agent-ca/ca.pem"]
            let result = try await run.run(arguments, environment: environment, reportPeakMemory: true)
            #expect(result.exitCode == 0, "\(result.standardError)")
            #expect(try await Self.storedPings(collector) == [1], "one ping stored: \(result.standardError)")
            let sent = result.logLines.first { $0["message"] == "sent" }
            #expect(sent?["ping.url"]?.hasPrefix("https://127.0.0.1:\(httpsPort)/") == true, "\(result.standardError)")
            let peak = result.standardError.split(separator: "\n").last { $0.hasPrefix("run-in-rootfs: peak RSS") } ?? "no peak RSS reported"
            print("ImageTests: usage-agent in its image, \(peak); \(result.standardError.split(separator: "\n").first { $0.contains("launcher peak RSS") } ?? "")")
        }
    }

    @Test func theAgentImageTrustsItsOwnBundleAndNothingElse() async throws {
        let image = try await Images.unpack("usage-agent")
        defer { image.remove() }
        try await Self.withCollectorOverHTTPS { collector, httpsPort, imdsPort, ca in
            let (pod, environment) = try await Self.agentPod(collector: "https://127.0.0.1:\(httpsPort)", imdsPort: imdsPort)
            let arguments = pod.arguments(image: image, entrypointCount: 1)
            // The image's bundle does not hold the private CA: the agent refuses the collector.
            let refused = try await PodRun(image: image, container: pod).run(arguments, environment: environment)
            #expect(refused.exitCode == 0, "the agent never fails its Job: \(refused.standardError)")
            #expect(try await Self.storedPings(collector).isEmpty, "nothing reached the collector without verification")
            #expect(refused.standardError.lowercased().contains("certificate"), "the log says why: \(refused.standardError)")

            // The same bundle with the private CA added, at the bundle's path: the agent finds it there.
            let bundle = try Data(contentsOf: URL(fileURLWithPath: image.rootfs + "/etc/ssl/certs/ca-certificates.crt"))
                + Data(contentsOf: URL(fileURLWithPath: ca.certificatePath))
            let extended = ca.directory.path("bundle-with-private-ca.crt")
            try bundle.write(to: URL(fileURLWithPath: extended))
            var run = PodRun(image: image, container: pod)
            run.files["/etc/ssl/certs/ca-certificates.crt"] = extended
            let accepted = try await run.run(arguments, environment: environment)
            #expect(accepted.exitCode == 0, "\(accepted.standardError)")
            #expect(try await Self.storedPings(collector) == [1], "sent once the bundle at /etc/ssl/certs/ca-certificates.crt trusts the collector: \(accepted.standardError)")
        }
    }

    /// The lasting opt-out of docs/usage-tracking.md: an overlay that sets
    /// `USAGE_TRACKING_ENABLED=false` in the component's ConfigMap. Both the CronJob's and the
    /// install Job's pods, run with the environment that overlay renders, send nothing and ask
    /// the metadata service nothing.
    @Test(arguments: [("CronJob", "aws-kubeflow-telemetry"), ("Job", "aws-kubeflow-telemetry-install")])
    func theTrackingOffOverlayKeepsEachJobFromSendingAnything(_ kind: String, _ name: String) async throws {
        let image = try await Images.unpack("usage-agent")
        defer { image.remove() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let metadataRequests = RequestLog()
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            try await FakeServer.run(log: metadataRequests, routes: FakeMetadataService(instanceID: Self.instanceID).install) { imdsPort in
                let pod = try await PodContainer.rendering("docs/examples/usage-tracking-off", kind: kind, name: name)
                var environment = try pod.environment()
                #expect(environment["USAGE_TRACKING_ENABLED"] == "false", "the overlay's ConfigMap reaches the \(kind)")
                environment["USAGE_COLLECTOR_URL"] = "http://127.0.0.1:\(collector.port)"
                environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:\(imdsPort)"
                let result = try await PodRun(image: image, container: pod).run(pod.arguments(image: image, entrypointCount: 1), environment: environment)
                #expect(result.exitCode == 0, "\(result.standardError)")
                #expect(result.logLines.contains { $0["message"] == "usage tracking is disabled; nothing collected, nothing sent" }, "\(result.standardError)")
                #expect(metadataRequests.count == 0, "no metadata request")
                #expect(try await collector.storedDays().isEmpty, "nothing sent")
            }
        }
    }

    /// The collector as deploy/collector runs it, its listeners moved to loopback ports, probed
    /// where the kubelet probes it: the manifest's readiness and liveness probes, on the port
    /// they name (the operations listener).
    @Test func theCollectorImageServesWritesOnlyToDataAndAnswersReadyz() async throws {
        let image = try await Images.unpack("usage-collector")
        defer { image.remove() }
        let data = try TemporaryDirectory()
        defer { data.remove() }
        #expect(chown(data.url.path, 65532, 65532) == 0)  // as fsGroup makes the volume writable
        let pod = try await PodContainer.rendering("deploy/collector", kind: "Deployment", name: "usage-collector")
        #expect(pod.runAsUser == 65532 && pod.readOnlyRootFilesystem && pod.droppedCapabilities == ["ALL"])
        let token = "image-test-token-0123456789abcdef"
        let environment = try pod.environment(secrets: ["usage-collector-admin/token": token])
        // The manifest's arguments, on loopback ports this test picks instead of 0.0.0.0:8080 (the
        // public port) and 0.0.0.0:9090 (the operations listener).
        let port = try ExternalTools.freePort()
        var metricsPort = try ExternalTools.freePort()
        while metricsPort == port { metricsPort = try ExternalTools.freePort() }
        let containerPorts = pod.containerPorts
        #expect(containerPorts == ["http": 8080, "metrics": 9090], "the manifest's container ports")
        let hostPorts = [8080: port, 9090: metricsPort]
        var arguments = pod.arguments(image: image, entrypointCount: 1)
        for (flag, value) in [("--host", "127.0.0.1"), ("--port", "\(port)"), ("--metrics-host", "127.0.0.1"), ("--metrics-port", "\(metricsPort)")] {
            let index = arguments.firstIndex(of: flag)
            #expect(index != nil, "the manifest's serve arguments have no \(flag): \(arguments)")
            if let index, index + 1 < arguments.count { arguments[index + 1] = value }
        }
        // The kubelet's probes, on the ports the manifest gives them.
        let readiness = try pod.httpProbe("readinessProbe")
        let liveness = try pod.httpProbe("livenessProbe")
        #expect(readiness.path == "/readyz" && liveness.path == "/healthz")
        #expect(readiness.port == 9090 && liveness.port == 9090, "the probes go to the operations listener, not to the public port's per-client limits")
        let readinessURL = "http://127.0.0.1:\(hostPorts[readiness.port] ?? 0)\(readiness.path)"
        var run = PodRun(image: image, container: pod)
        run.persistentVolumes["/data"] = data.url.path
        let collector = try run.start(arguments, environment: environment)
        defer { collector.stop() }
        let client = HTTPClient.shared
        var ready = 0
        for _ in 0..<300 where ready != 200 {
            guard collector.isRunning else { break }
            if let response = try? await client.execute(HTTPClientRequest(url: readinessURL), timeout: .seconds(5)) {
                ready = Int(response.status.code)
                _ = try? await response.body.collect(upTo: 1 << 16)
            }
            if ready != 200 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready == 200, "\(readinessURL): \(collector.output)")
        let live = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(hostPorts[liveness.port] ?? 0)\(liveness.path)"), timeout: .seconds(5))
        _ = try await live.body.collect(upTo: 1 << 16)
        #expect(live.status.code == 200, "the liveness probe")
        var ping = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/pings")
        ping.method = .POST
        ping.headers.add(name: "Content-Type", value: "application/json")
        ping.body = .bytes(ByteBuffer(string: #"{"instance_id":"\#(Self.instanceID)","region":"us-west-2"}"#))
        let answer = try await client.execute(ping, timeout: .seconds(30))
        _ = try await answer.body.collect(upTo: 1 << 16)
        #expect(answer.status.code == 200)
        // Prometheus's scrape through the metrics Service: the operations listener, no token.
        let scrape = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"), timeout: .seconds(5))
        let scraped = String(buffer: try await scrape.body.collect(upTo: 1 << 20))
        #expect(scrape.status.code == 200 && scraped.contains("usage_pings_recorded_total"), "/metrics on the operations listener: \(scrape.status.code) \(scraped.prefix(300))")

        // The process is the image's user, with no capabilities at all.
        let status = try Self.statusOfChild(of: collector.pid)
        #expect(status["Uid"]?.split(separator: "\t").first == "65532", "\(status)")
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            #expect(status[set] == "0000000000000000", "\(set) \(status[set] ?? "missing")")
        }
        #expect(status["NoNewPrivs"] == "1")
        await Self.stop(collector)
        let written = try FileManager.default.contentsOfDirectory(atPath: data.url.path).sorted()
        #expect(written.contains("usage.sqlite"), "the SQLite default lands on the volume: \(written)")
        let rows = try await ProcessRunner.runAsync("/usr/bin/sqlite3", [data.path("usage.sqlite"), "SELECT count(*) FROM instance_days"], timeout: 30)
        #expect(rows.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "the ping is in /data/usage.sqlite: \(rows.standardError)")
    }

    /// Stops a pod's process, waiting on a thread of its own (it may take seconds).
    static func stop(_ process: BackgroundProcess) async {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                process.stop()
                continuation.resume()
            }
        }
    }

    /// `/proc/PID/status` of the launcher's child, the program run in the pod's namespaces.
    static func statusOfChild(of launcher: Int32) throws -> [String: String] {
        let children = try String(contentsOfFile: "/proc/\(launcher)/task/\(launcher)/children", encoding: .utf8)
        guard let child = children.split(separator: " ").first else { throw ImageError("the launcher has no child") }
        let text = try String(contentsOfFile: "/proc/\(child)/status", encoding: .utf8)
        return text.split(separator: "\n").reduce(into: [:]) { fields, line in
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
    }
}

/// A certificate authority of the test's own (openssl) and a certificate it signed for 127.0.0.1.
struct PrivateCertificateAuthority {
    let directory: TemporaryDirectory
    var certificatePath: String { directory.path("ca.pem") }

    /// Makes the CA and the server certificate (openssl, off the cooperative pool).
    static func make(in directory: TemporaryDirectory) async throws -> PrivateCertificateAuthority {
        let ca = PrivateCertificateAuthority(directory: directory)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=usage-tracking test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", directory.path("ca.key"), "-out", directory.path("ca.pem")],
            ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", directory.path("server.key"), "-out", directory.path("server.csr")],
        ]
        for step in steps { try await openssl(step) }
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".write(toFile: directory.path("server.ext"), atomically: true, encoding: .utf8)
        try await openssl(["x509", "-req", "-in", directory.path("server.csr"), "-CA", directory.path("ca.pem"), "-CAkey", directory.path("ca.key"),
                          "-CAcreateserial", "-days", "1", "-extfile", directory.path("server.ext"), "-out", directory.path("server.pem")])
        // The launcher binds the CA file into the pod, whose user must be able to read it.
        _ = chmod(directory.url.path, 0o755)
        return ca
    }

    static func openssl(_ arguments: [String]) async throws {
        let result = try await ProcessRunner.runAsync("/usr/bin/openssl", arguments, timeout: 60)
        guard result.exitCode == 0 else { throw ImageError("openssl \(arguments[0]): \(result.standardError)") }
    }

    func serverTLS() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(directory.path("server.pem")).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: directory.path("server.key"), format: .pem))
        )
    }
}
