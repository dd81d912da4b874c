import Foundation
import Hummingbird
import Testing
import TestSupport

/// A collector URL with user-info (`https://user:secret@host`): the agent sends no credentials
/// (it sends its two fields and nothing else), and the secret appears in no log line and not in
/// `--dry-run`'s request (issue #30).
@Suite struct CollectorURLTests {
    static let secret = "s3cr3t-Pa55"

    @Test func theUserInfoOfTheCollectorURLIsInNoLogLineAndIsNotSent() async throws {
        let log = RequestLog()
        try await FakeServer.run(log: log, routes: SendingTests.scriptedCollector([(503, nil)])) { port in
            let result = try await AgentHarness.run(
                ["--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "http://alice:\(Self.secret)@127.0.0.1:\(port)", "--jitter", "0"],
                environment: [:]
            )
            #expect(result.exitCode == 0)
            #expect(log.count == 2, "one 503, then sent")
            for line in (result.standardError + result.standardOutput).split(separator: "\n") {
                #expect(!line.contains(Self.secret), "\(line)")
                #expect(!line.contains("alice"), "\(line)")
            }
            let sent = try #require(result.log("sent"))
            #expect(sent["ping.url"] == "http://127.0.0.1:\(port)/v1/pings")
            #expect(result.messages.contains("retrying"))
            // The agent never sent the user-info as credentials, before or now.
            #expect(log.all.allSatisfy { $0.headers["authorization"] == nil })
            #expect(log.all.allSatisfy { $0.path == "/v1/pings" })
            #expect(result.log("the collector URL's user-info is not sent (the agent sends no credentials) and is left out of the logs") != nil, "\(result.standardError)")
        }
    }

    @Test func dryRunPrintsTheRequestWithoutTheUserInfo() async throws {
        let result = try await AgentHarness.run(
            ["--dry-run", "--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "https://alice:\(Self.secret)@usage.example.com/base"],
            environment: [:]
        )
        #expect(result.exitCode == 0)
        #expect(result.standardOutput.hasPrefix("POST https://usage.example.com/base/v1/pings\n"), "\(result.standardOutput)")
        #expect(!(result.standardOutput + result.standardError).contains(Self.secret))
        #expect(result.log("dry run: this is the request that would be sent; nothing sent")?["ping.url"] == "https://usage.example.com/base/v1/pings")
    }

    @Test(arguments: ["ftp://alice:s3cr3t-Pa55@usage.example.com", "https//alice:s3cr3t-Pa55@usage.example.com"])
    func aBadCollectorURLIsRefusedWithoutItsSecret(_ url: String) async throws {
        let result = try await AgentHarness.run(["--collector", url, "--instance-id", AgentHarness.instanceID, "--region", "us-east-1"], environment: [:])
        #expect(result.exitCode == 64)
        #expect(result.log("bad configuration") != nil, "\(result.standardError)")
        #expect(!(result.standardOutput + result.standardError).contains(Self.secret), "\(result.standardError)")
    }
}
