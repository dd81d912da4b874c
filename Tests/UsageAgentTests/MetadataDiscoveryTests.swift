import Foundation
import Testing
import TestSupport
import UsageTrackingCore

/// The real agent against fake metadata services, sending to the real collector.
@Suite struct MetadataDiscoveryTests {
    /// Runs the agent against `imds` and a live collector; returns the agent's result, the
    /// metadata requests and what the collector stored about the instance.
    func runAgainst(
        _ imds: FakeMetadataService, arguments: [String] = [], extraEnvironment: [String: String] = [:]
    ) async throws -> (result: ProcessResult, imdsRequests: [RecordedRequest], stored: [DailyActivity], region: String?) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = RequestLog()
        return try await FakeServer.run(log: log, routes: imds.install) { imdsPort in
            try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
                let environment = AgentHarness.environment(imdsPort: imdsPort, collectorPort: collector.port)
                    .merging(extraEnvironment) { $1 }
                let result = try await AgentHarness.run(arguments, environment: environment)
                let stored = try await collector.storedDays()
                let summary = try await collector.store.instanceRecord(InstanceID(validating: AgentHarness.instanceID))
                return (result, log.all, stored, summary?.region)
            }
        }
    }

    @Test func imdsV2WithARequiredTokenSendsOnePing() async throws {
        let (result, requests, stored, region) = try await runAgainst(FakeMetadataService(token: .required))
        #expect(result.exitCode == 0)
        #expect(stored.map(\.pings) == [1])
        #expect(region == "us-west-2")
        // The token flow: a PUT with the TTL header, then GETs carrying the token.
        let put = try #require(requests.first)
        #expect(put.method == "PUT")
        #expect(put.path == "/latest/api/token")
        #expect(put.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600")
        let gets = requests.dropFirst()
        #expect(gets.map(\.path) == ["/latest/meta-data/instance-id", "/latest/meta-data/placement/region"])
        #expect(gets.allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == FakeMetadataService.validToken })
        // The log shows the exact payload sent.
        let sent = try #require(result.log("sent"))
        #expect(sent["ping.payload"] == #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#)
        #expect(sent["ping.method"] == "POST")
        #expect(result.log("found the instance")?["discovery.source"] == "imds-v2")
    }

    @Test(arguments: [403, 404, 405])
    func aRefusedTokenFallsBackToIMDSv1(_ status: Int) async throws {
        let (result, requests, stored, region) = try await runAgainst(FakeMetadataService(token: .refused(status)))
        #expect(result.exitCode == 0)
        #expect(stored.map(\.pings) == [1])
        #expect(region == "us-west-2")
        #expect(requests.dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == nil })
        #expect(result.log("found the instance")?["discovery.source"] == "imds-v1")
    }

    @Test func anEmptyTokenIsNoToken() async throws {
        // The original script tested whether the token variable was set, not whether it was empty.
        let (result, requests, stored, _) = try await runAgainst(FakeMetadataService(token: .empty))
        #expect(result.exitCode == 0)
        #expect(stored.map(\.pings) == [1])
        #expect(requests.dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == nil })
        #expect(result.log("found the instance")?["discovery.source"] == "imds-v1")
    }

    @Test(arguments: [
        ("i-fake", "us-west-2"),
        ("i-0123456789abcdef0junk", "us-west-2"),  // the original regex was not anchored at the end
        ("", "us-west-2"),  // the original tested "set", not "non-empty"
        ("i-0123456789abcdef0", "bogus"),
        ("i-0123456789abcdef0", "us-west-2a"),
    ])
    func aMalformedIdentitySendsNothing(_ instanceID: String, _ region: String) async throws {
        let imds = FakeMetadataService(token: .required, instanceID: instanceID, region: region)
        let (result, _, stored, _) = try await runAgainst(imds)
        #expect(result.exitCode == 0)
        #expect(stored.isEmpty)
        #expect(result.log("nothing to report; nothing sent") != nil)
        #expect(!result.messages.contains("sending"))
        let strict = try await runAgainst(imds, arguments: ["--strict"])
        #expect(strict.result.exitCode == 1)
        #expect(strict.stored.isEmpty)
    }

    @Test func aSlowTokenAnswerIsWaitedForUpToAWSMetadataServiceTimeout() async throws {
        // The token comes after 4 s: past the default 2 s, within the harness's 10 s.
        let (result, requests, stored, _) = try await runAgainst(FakeMetadataService(token: .dropped))
        #expect(result.exitCode == 0)
        #expect(stored.map(\.pings) == [1])
        #expect(requests.map(\.method) == ["PUT", "GET", "GET"])
        #expect(result.log("found the instance")?["discovery.source"] == "imds-v2")
    }

    @Test func aLocalZoneWithoutPlacementRegionMapsToItsParentRegion() async throws {
        // Cutting the last character off "us-west-2-lax-1a" would give "us-west-2-lax-1".
        let imds = FakeMetadataService(token: .required, region: nil, zone: "us-west-2-lax-1a")
        let (result, requests, stored, region) = try await runAgainst(imds)
        #expect(result.exitCode == 0)
        #expect(stored.map(\.pings) == [1])
        #expect(region == "us-west-2")
        #expect(requests.map(\.path).last == "/latest/meta-data/placement/availability-zone")
    }

    @Test func aMetadataServiceThatNeverAnswersIsGivenUpOnWithinTheBound() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let silent = try SilentListener()
        defer { silent.close() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            // The default bound on each metadata request (2 s), and on the whole run (30 s).
            var environment = AgentHarness.environment(imdsPort: silent.port, collectorPort: collector.port)
            environment["AWS_METADATA_SERVICE_TIMEOUT"] = nil
            let result = try await AgentHarness.run(environment: environment)
            #expect(result.exitCode == 0)
            #expect(result.duration < 30, "the whole run is bounded by the default 30 s")
            #expect(result.duration < 15, "each metadata request is given up on after 2 s")
            #expect(result.log("nothing to report; nothing sent") != nil)
            #expect(try await collector.storedDays().isEmpty)
        }
    }

    @Test func disabledMetadataSkipsTheServiceEntirely() async throws {
        let (result, requests, stored, _) = try await runAgainst(FakeMetadataService(), extraEnvironment: ["AWS_EC2_METADATA_DISABLED": "true"])
        #expect(result.exitCode == 0)
        #expect(requests.isEmpty)
        #expect(stored.isEmpty)
    }

    @Test func dryRunPrintsTheExactRequestAndSendsNothing() async throws {
        let (result, requests, stored, _) = try await runAgainst(FakeMetadataService(), arguments: ["--dry-run"])
        #expect(result.exitCode == 0)
        #expect(!requests.isEmpty, "discovery still runs")
        #expect(stored.isEmpty)
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("POST http://127.0.0.1:") == true)
        #expect(lines.first?.hasSuffix("/v1/pings") == true)
        #expect(lines.contains("Content-Type: application/json"))
        #expect(lines.contains("User-Agent: usage-agent/0.1.0"))
        #expect(lines.contains(#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#))
    }
}
