import Foundation
import Testing
import TestSupport
import UsageCollector
import UsageTrackingCore

/// The read side: admin token, instance lookup and erasure, small-count suppression, refusal to
/// expose reports, and what a ping leaves on disk.
@Suite struct ReadSideTests {
    static let token = "an-admin-token-of-enough-length"

    @Test func reportsNeedTheTokenWhenOneIsSet() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.adminToken = Self.token }) { collector in
            let anonymous = try await collector.get("/v1/reports/actives")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            #expect(anonymous.json["error"] as? String == "unauthorized")
            let wrong = try await collector.get("/v1/reports/actives", headers: [("Authorization", "Bearer not-the-token")])
            #expect(wrong.status == 401)
            let prefix = try await collector.get("/v1/reports/actives", headers: [("Authorization", "Bearer \(Self.token.dropLast())")])
            #expect(prefix.status == 401)
            let right = try await collector.get("/v1/reports/actives", headers: [("Authorization", "Bearer \(Self.token)")])
            #expect(right.status == 200)
            // Ingest and probes stay open.
            #expect(try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#).status == 200)
            #expect(try await collector.get("/healthz").status == 200)
            #expect(try await collector.get("/v1/instances/i-0123abcd").status == 401)
            #expect(try await collector.get("/v1/instances/i-0123abcd", headers: [("Authorization", "Bearer \(Self.token)")]).status == 200)
        }
    }

    @Test func serveRefusesAPublicAddressWithoutATokenUnlessReportsArePublic() throws {
        var configuration = CollectorConfiguration(host: "0.0.0.0", port: 8080)
        #expect(throws: CollectorConfigurationError.self) { try configuration.validate() }
        configuration.publicReports = true
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.publicReports = false
        configuration.adminToken = Self.token
        #expect(throws: Never.self) { try configuration.validate() }
        #expect(throws: Never.self) { try CollectorConfiguration(host: "127.0.0.1", port: 8080).validate() }
    }

    @Test func theRealBinaryRefusesToStartOnAPublicAddressWithoutAToken() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await ProcessRunner.runAsync(
            ProcessRunner.product("usage-collector"),
            ["serve", "--host", "0.0.0.0", "--port", "0", "--database", directory.path("usage.sqlite")],
            environment: ["PATH": "/usr/bin:/bin"], timeout: 30
        )
        #expect(result.exitCode == 64)
        #expect(result.standardError.contains("refusing to serve reports on 0.0.0.0 without an admin token"))
    }

    @Test func anInstanceCanBeLookedUpAndErased() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#)
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-4567abcd","region":"us-west-2"}"#)
            let held = try await collector.get("/v1/instances/i-0123abcd")
            #expect(held.status == 200)
            #expect(held.json["instance_id"] as? String == "i-0123abcd")
            #expect(held.json["region"] as? String == "us-west-2")
            #expect((held.json["days"] as? [[String: Any]])?.first?["pings"] as? Int == 1)
            let erased = try await collector.request(.DELETE, "/v1/instances/i-0123abcd")
            #expect(erased.status == 200)
            #expect(erased.json["rows"] as? Int == 2)
            #expect(try await collector.get("/v1/instances/i-0123abcd").status == 404)
            #expect(try await collector.request(.DELETE, "/v1/instances/i-0123abcd").status == 404)
            #expect(try await collector.get("/v1/instances/i-4567abcd").status == 200)
            #expect(try await collector.get("/v1/instances/i-fake").status == 400)
        }
    }

    @Test func smallCountsAreSuppressedInJSONAndCSV() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(1_795_910_400_000 + 60_000)
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), clock: clock.read, configure: { $0.minimumCount = 3 }) { collector in
            for n in 0..<5 {
                _ = try await collector.post("/v1/pings", #"{"instance_id":"i-0000000\#(n)","region":"us-east-1"}"#)
            }
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-0000009a","region":"af-south-1"}"#)
            let all = try await collector.get("/v1/reports/actives?format=csv")
            #expect(all.body == "day,active_instances,new_instances,pings\n2026-11-29,6,6,6\n")
            let small = try await collector.get("/v1/reports/actives?format=csv&region=af-south-1")
            #expect(small.body == "day,active_instances,new_instances,pings\n2026-11-29,<3,<3,<3\n")
            let json = try await collector.get("/v1/reports/actives?region=af-south-1")
            #expect(json.body == #"{"window":1,"days":[{"day":"2026-11-29","active":"<3","new":"<3","pings":"<3"}]}"#)
        }
    }

    @Test func nothingAboutTheRequestButThePingReachesTheDatabaseFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let userAgent = "DistinctiveAgent/7.7.7-zebra"
        let address = "203.0.113.77"
        try await LiveCollector.run(databasePath: path) { collector in
            let headers = [("Content-Type", "application/json"), ("User-Agent", userAgent), ("X-Forwarded-For", address), ("X-Request-Id", "req-unicorn-42"), ("Cookie", "session=marmalade")]
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#, headers: headers)
            _ = try await collector.get("/instance-i-0123abcd.log?x-instance-id=i-0123abcd&region=eu-west-1", headers: headers)
        }
        let bytes = DatabaseFiles.bytes(of: path)
        #expect(bytes.range(of: Data("i-0123456789abcdef0".utf8)) != nil, "the ping itself is stored")
        for secret in [userAgent, "DistinctiveAgent", address, "203.0.113", "127.0.0.1", "req-unicorn-42", "marmalade", "Mozilla"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) reached the database")
        }
    }
}

@Suite struct RetentionServiceTests {
    @Test func serveWithRetentionPurgesOldDaysInTheBackground() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let day: Int64 = 86_400_000
        let today: Int64 = 1_795_910_400_000 + 3_600_000  // 2026-11-29T01:00Z
        do {
            let store = try SQLiteUsageStore(path: path, logger: Logger(label: "test"))
            _ = try await store.record([
                Ping(instanceID: try InstanceID(validating: "i-0000000a"), region: try Region(validating: "us-west-2"), receivedAtMilliseconds: today - 31 * day),
                Ping(instanceID: try InstanceID(validating: "i-0000000b"), region: try Region(validating: "us-west-2"), receivedAtMilliseconds: today - 30 * day),
                Ping(instanceID: try InstanceID(validating: "i-0000000c"), region: try Region(validating: "us-west-2"), receivedAtMilliseconds: today - day),
            ])
        }
        let clock = TestClock(today)
        try await LiveCollector.run(databasePath: path, clock: clock.read, configure: { $0.retentionDays = 30 }) { collector in
            // The purge runs once at start, in the background; wait for it.
            var held = try await collector.store.instanceRecord(InstanceID(validating: "i-0000000a"))
            for _ in 0..<100 where held != nil {
                try await Task.sleep(for: .milliseconds(50))
                held = try await collector.store.instanceRecord(InstanceID(validating: "i-0000000a"))
            }
            #expect(held == nil, "31 days old: purged")
            #expect(try await collector.store.instanceRecord(InstanceID(validating: "i-0000000b")) != nil, "exactly 30 days old: kept")
            #expect(try await collector.store.instanceRecord(InstanceID(validating: "i-0000000c")) != nil)
        }
    }

    @Test func purgeCommandPrintsWhatItRemoved() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        let csv = directory.path("old.csv")
        try "time,instance_id,region\n2020-01-01T00:00:00Z,i-0000000a,us-west-2\n2020-01-02T00:00:00Z,i-0000000a,us-west-2\n".write(toFile: csv, atomically: true, encoding: .utf8)
        _ = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", csv, "--database", database])
        let purge = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["purge", "--older-than", "30", "--database", database])
        #expect(purge.exitCode == 0)
        #expect(purge.standardOutput.contains("removed 2 day rows before"))
        #expect(purge.standardOutput.contains("and 1 instances left without any"))
        let forget = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["forget", "i-0000000a", "--database", database])
        #expect(forget.standardOutput.contains("nothing was held about i-0000000a"))
    }
}

import Logging
import UsageStore
import UsageStoreSQLite
