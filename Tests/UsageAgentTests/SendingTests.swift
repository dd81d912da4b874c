import Foundation
import Hummingbird
import Testing
import TestSupport
import UsageTrackingCore

/// Protocols, retries and opt-out, with the real agent.
@Suite struct SendingTests {
    @Test func theS3ProtocolReachesTheCollectorAsTheOriginalRequest() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let result = try await AgentHarness.run(
                ["--instance-id", AgentHarness.instanceID, "--region", "ap-southeast-7"],
                environment: ["USAGE_PROTOCOL": "s3", "USAGE_COLLECTOR_URL": "http://127.0.0.1:\(collector.port)", "USAGE_JITTER_SECONDS": "0"]
            )
            #expect(result.exitCode == 0)
            let sent = try #require(result.log("sent"))
            #expect(sent["ping.method"] == "GET")
            #expect(sent["ping.url"] == "http://127.0.0.1:\(collector.port)/instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef0&region=ap-southeast-7")
            let summary = try await collector.store.instanceRecord(InstanceID(validating: AgentHarness.instanceID))
            #expect(summary?.region == "ap-southeast-7")
            #expect(summary?.days.map(\.pings) == [1])
        }
    }

    @Test(arguments: [
        ["DO_NOT_TRACK": "1"],
        ["DO_NOT_TRACK": "true"],
        ["DO_NOT_TRACK": "yes"],
        ["USAGE_TRACKING_ENABLED": "false"],
        ["USAGE_TRACKING_ENABLED": "false", "USAGE_PROTOCOL": "ftp"],  // off wins over a broken setting
    ])
    func optOutMakesNoRequestAtAll(_ optOut: [String: String]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let imdsLog = RequestLog()
        try await FakeServer.run(log: imdsLog, routes: FakeMetadataService().install) { imdsPort in
            try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
                let environment = AgentHarness.environment(imdsPort: imdsPort, collectorPort: collector.port).merging(optOut) { $1 }
                let result = try await AgentHarness.run(["--strict"], environment: environment)
                #expect(result.exitCode == 0)
                #expect(result.log("usage tracking is disabled; nothing collected, nothing sent") != nil)
                #expect(imdsLog.count == 0)
                #expect(try await collector.storedDays().isEmpty)
            }
        }
    }

    @Test(arguments: [["DO_NOT_TRACK": "0"], ["DO_NOT_TRACK": "false"], ["DO_NOT_TRACK": ""], ["USAGE_TRACKING_ENABLED": "true"]])
    func valuesThatDoNotOptOut(_ environment: [String: String]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            var env = environment
            env["USAGE_COLLECTOR_URL"] = "http://127.0.0.1:\(collector.port)"
            env["USAGE_JITTER_SECONDS"] = "0"
            let result = try await AgentHarness.run(["--instance-id", AgentHarness.instanceID, "--region", "us-east-1"], environment: env)
            #expect(result.exitCode == 0)
            #expect(try await collector.storedDays().map(\.pings) == [1])
        }
    }

    /// A collector that answers with the given statuses in turn, then 200.
    static func scriptedCollector(_ statuses: [(Int, String?)]) -> (Router<BasicRequestContext>) -> Void {
        let remaining = ScriptedStatuses(statuses)
        return { router in
            router.post("v1/pings") { _, _ -> Response in
                let (status, retryAfter) = remaining.next() ?? (200, nil)
                var headers: HTTPFields = [.contentType: "application/json"]
                if let retryAfter { headers[.retryAfter] = retryAfter }
                return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{}")))
            }
        }
    }

    @Test func serverErrorsAndTooManyRequestsAreRetriedHonouringRetryAfter() async throws {
        let log = RequestLog()
        try await FakeServer.run(log: log, routes: Self.scriptedCollector([(503, nil), (429, "2")])) { port in
            let result = try await AgentHarness.run(
                ["--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "http://127.0.0.1:\(port)", "--jitter", "0", "--strict"],
                environment: [:]
            )
            #expect(result.exitCode == 0)
            #expect(log.count == 3)
            #expect(result.messages.filter { $0 == "retrying" }.count == 2)
            #expect(result.logLines.first { $0["message"] == "retrying" && $0["retry.in_ms"] == "2000" } != nil)
            #expect(result.duration >= 2)
        }
    }

    @Test(arguments: [400, 403, 404, 413])
    func aClientErrorIsNeverRetried(_ status: Int) async throws {
        let log = RequestLog()
        try await FakeServer.run(log: log, routes: Self.scriptedCollector([(status, nil)])) { port in
            let arguments = ["--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "http://127.0.0.1:\(port)", "--jitter", "0"]
            let result = try await AgentHarness.run(arguments, environment: [:])
            #expect(result.exitCode == 0, "a telemetry job never fails")
            #expect(log.count == 1)
            #expect(result.log("the collector refused the ping; not sent")?["http.status"] == "\(status)")
        }
    }

    @Test func anUnreachableCollectorExitsZeroWithinTheBound() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let arguments = ["--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "http://127.0.0.1:\(silent.port)", "--jitter", "0", "--timeout", "8"]
        let result = try await AgentHarness.run(arguments, environment: [:])
        #expect(result.exitCode == 0)
        #expect(result.duration < 12)
        // The request went out and nothing came back: the agent cannot tell whether it was stored.
        #expect(result.log("the collector did not answer in time; it may have stored the ping, which counts once a day however often it is sent") != nil)
        let strict = try await AgentHarness.run(arguments + ["--strict"], environment: [:])
        #expect(strict.exitCode == 1)
    }

    @Test(arguments: [
        (["--instance-id", "i-fake", "--region", "us-east-1", "--collector", "http://127.0.0.1:9"], [String: String]()),
        (["--instance-id", AgentHarness.instanceID, "--region", "us-west-2a", "--collector", "http://127.0.0.1:9"], [:]),
        ([], ["USAGE_PROTOCOL": "json"]),  // json without a collector URL
        ([], ["USAGE_PROTOCOL": "ftp"]),
        ([], ["USAGE_JITTER_SECONDS": "soon", "USAGE_PROTOCOL": "s3"]),
        ([], ["AWS_METADATA_SERVICE_TIMEOUT": "0", "USAGE_PROTOCOL": "s3"]),
        ([], ["AWS_METADATA_SERVICE_TIMEOUT": "1.5", "USAGE_PROTOCOL": "s3"]),
        ([], ["AWS_METADATA_SERVICE_TIMEOUT": "61", "USAGE_PROTOCOL": "s3"]),
        (["--collector", "ftp://example"], [:]),
        (["--protocol", "xml"], [:]),
        (["--node-choice", "newest", "--protocol", "s3"], [:]),
        ([], ["USAGE_NODE_CHOICE": "random", "USAGE_PROTOCOL": "s3"]),
        ([], ["USAGE_LOG_LEVEL": "loud", "USAGE_PROTOCOL": "s3"]),
        (["--no-such-flag"], [:]),
    ])
    func badConfigurationExits64(_ arguments: [String], _ environment: [String: String]) async throws {
        let result = try await AgentHarness.run(arguments, environment: environment)
        #expect(result.exitCode == 64)
    }
}

/// Statuses a scripted fake hands out one per request.
final class ScriptedStatuses: Sendable {
    let queue: Mutex<[(Int, String?)]>

    init(_ statuses: [(Int, String?)]) { queue = Mutex(statuses) }

    func next() -> (Int, String?)? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

import Synchronization
