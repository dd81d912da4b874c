import Foundation
import Hummingbird
import Testing
import TestSupport
@testable import UsageAgent

/// TLS to the collector checks the name the URL gives (issue #30): a certificate that names only
/// the IP address the name resolves to is not a certificate for that name.
@Suite struct CollectorTLSTests {
    /// Runs the agent against an HTTPS collector presenting a certificate for `subjectAltName`,
    /// trusted through `--ca-file`, at `https://<host>:<port>`.
    static func send(subjectAltName: String, host: String, strict: Bool = false) async throws -> (ProcessResult, Int) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let certificate = try SelfSignedCertificate(in: directory, name: "collector", subjectAltName: subjectAltName)
        let log = RequestLog()
        return try await FakeServer.run(log: log, tls: try certificate.serverTLS(), routes: SendingTests.scriptedCollector([])) { port in
            let arguments = ["--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "https://\(host):\(port)",
                             "--ca-file", certificate.certificatePath, "--jitter", "0", "--timeout", "20"] + (strict ? ["--strict"] : [])
            let result = try await AgentHarness.run(arguments, environment: [:])
            return (result, log.count)
        }
    }

    @Test func aCertificateNamingOnlyTheIPAddressIsRefusedForAHostName() async throws {
        let (result, received) = try await Self.send(subjectAltName: "IP:127.0.0.1", host: "localhost")
        #expect(received == 0, "the ping reached a collector whose certificate does not name localhost")
        #expect(result.exitCode == 0, "a telemetry job never fails")
        #expect(result.log("sent") == nil)
        let failure = try #require(result.log("the collector stayed unreachable; not sent"), "\(result.standardError)")
        #expect(failure["error"]?.contains("the certificate of localhost names no DNS name matching it (its names: IP 127.0.0.1)") == true, "\(failure)")
        let (strict, _) = try await Self.send(subjectAltName: "IP:127.0.0.1", host: "localhost", strict: true)
        #expect(strict.exitCode == 1)
    }

    @Test(arguments: [
        ("DNS:localhost", "localhost"),
        ("DNS:*.localhost,DNS:localhost", "localhost"),
        ("DNS:example.invalid,IP:127.0.0.1", "127.0.0.1"),
        ("IP:127.0.0.1", "127.0.0.1"),
    ])
    func aCertificateForTheURLsHostIsAccepted(_ subjectAltName: String, _ host: String) async throws {
        let (result, received) = try await Self.send(subjectAltName: subjectAltName, host: host)
        #expect(result.exitCode == 0)
        #expect(received == 1, "\(result.standardError)")
        #expect(result.log("sent") != nil, "\(result.standardError)")
    }

    @Test func aCertificateForAnotherNameIsStillRefused() async throws {
        let (result, received) = try await Self.send(subjectAltName: "DNS:collector.example.com", host: "localhost")
        #expect(received == 0)
        #expect(result.log("the collector stayed unreachable; not sent") != nil, "\(result.standardError)")
    }

    /// The names the check accepts, RFC 6125's rules (a wildcard only as or in the first label).
    @Test(arguments: [
        ("collector.example.com", "collector.example.com", true),
        ("Collector.Example.COM", "collector.example.com.", true),
        ("*.example.com", "collector.example.com", true),
        ("col*.example.com", "collector.example.com", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "a.collector.example.com", false),
        ("a.*.example.com", "a.b.example.com", false),
        ("*.com", "example.com", false),
        ("xn--*.example.com", "xn--abc.example.com", false),
        ("collector.example.com", "collector.example.org", false),
    ])
    func certificateNamesMatchTheHostAsRFC6125Says(_ pattern: String, _ host: String, _ matches: Bool) {
        #expect(CertificateNameCheck.matches(pattern: pattern, host: host) == matches)
    }
}
