import Foundation
import Testing
import TestSupport
import UsageCollector
import UsageTrackingCore

@Suite struct IngestTests {
    static let id = "i-0123456789abcdef0"
    static let body = #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#
    static let day0: Int64 = 1_795_910_400_000  // 2026-11-29T00:00:00Z

    @Test func aPingIsStoredOncePerDayHoweverOftenItArrives() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(Self.day0 + 3_600_000)
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), clock: clock.read) { collector in
            let first = try await collector.post("/v1/pings", Self.body)
            #expect(first.status == 200)
            #expect(first.body == #"{"recorded":true,"first_today":true}"#)
            #expect(first.headers["Content-Type"].first?.hasPrefix("application/json") == true)
            for _ in 0..<3 {
                let again = try await collector.post("/v1/pings", Self.body)
                #expect(again.body == #"{"recorded":true,"first_today":false}"#)
            }
            clock.set(Self.day0 + 86_400_000 + 60_000)  // the next UTC day
            let nextDay = try await collector.post("/v1/pings", Self.body)
            #expect(nextDay.body == #"{"recorded":true,"first_today":true}"#)
            let days = try await collector.storedDays()
            #expect(days.map(\.day.iso8601) == ["2026-11-29", "2026-11-30"])
            #expect(days.map(\.active) == [1, 1])
            #expect(days.map(\.new) == [1, 0])
            #expect(days.map(\.pings) == [4, 1])
        }
    }

    @Test func theOriginalGETWithTheBucketHostIsRecordedUnderItsRegion() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let reply = try await collector.get(
                "/instance-\(Self.id).log?x-instance-id=\(Self.id)",
                headers: [("Host", "kubeflow-on-aws-usage-tracking-eu-central-1.s3.eu-central-1.amazonaws.com")]
            )
            #expect(reply.status == 200)
            #expect(reply.json["first_today"] as? Bool == true)
            let china = try await collector.get(
                "/instance-i-0123abcd.log?x-instance-id=i-0123abcd",
                headers: [("Host", "kubeflow-on-aws-usage-tracking-cn-north-1.s3.cn-north-1.amazonaws.com.cn")]
            )
            #expect(china.status == 200)
            let europe = try #require(try await collector.store.instanceRecord(InstanceID(validating: Self.id)))
            #expect(europe.region == "eu-central-1")
            let beijing = try #require(try await collector.store.instanceRecord(InstanceID(validating: "i-0123abcd")))
            #expect(beijing.region == "cn-north-1")
        }
    }

    @Test func theOriginalGETTakesTheRegionFromTheQueryOrLeavesItUnknown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            #expect(try await collector.get("/instance-i-0123abcd.log?x-instance-id=i-0123abcd&region=ap-south-2").status == 200)
            #expect(try await collector.get("/instance-i-4567abcd.log").status == 200)
            let named = try #require(try await collector.store.instanceRecord(InstanceID(validating: "i-0123abcd")))
            #expect(named.region == "ap-south-2")
            let unknown = try #require(try await collector.store.instanceRecord(InstanceID(validating: "i-4567abcd")))
            #expect(unknown.region == nil)
        }
    }

    static let badRequests: [(String, String, String, Int, String)] = [
        // (method, path, body, status, error code)
        ("POST", "/v1/pings", #"{"instance_id":"i-fake","region":"us-west-2"}"#, 400, "invalid_instance_id"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0junk","region":"us-west-2"}"#, 400, "invalid_instance_id"),
        ("POST", "/v1/pings", #"{"instance_id":"I-0123456789ABCDEF0","region":"us-west-2"}"#, 400, "invalid_instance_id"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2a"}"#, 400, "invalid_region"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"bogus"}"#, 400, "invalid_region"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2","hostname":"node-1"}"#, 400, "unknown_field"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0"}"#, 400, "missing_field"),
        ("POST", "/v1/pings", "instance_id=i-0123456789abcdef0&region=us-west-2", 400, "invalid_json"),
        ("POST", "/v1/pings", "", 400, "invalid_json"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2","pad":"\#(String(repeating: "x", count: 1100))"}"#, 413, "body_too_large"),
        ("GET", "/instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef1", "", 400, "instance_id_mismatch"),
        ("GET", "/instance-i-fake.log?x-instance-id=i-fake", "", 400, "invalid_instance_id"),
        ("GET", "/instance-i-0123456789abcdef0.log?region=us-west-2a", "", 400, "invalid_region"),
        // Regions of a region's shape but any length were stored (61 KB of database per GET).
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-\#(String(repeating: "a", count: 890))-1"}"#, 400, "invalid_region"),
        ("GET", "/instance-i-0123456789abcdef0.log?region=us-\(String(repeating: "a", count: 6000))-1", "", 400, "invalid_region"),
        ("POST", "/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-west-123"}"#, 400, "invalid_region"),
        ("GET", "/favicon.ico", "", 404, "not_found"),
        ("GET", "/v1/pings", "", 404, "not_found"),  // Hummingbird answers an unrouted method with 404
    ]

    @Test(arguments: badRequests)
    func badInputGetsItsErrorAndStoresNothing(_ method: String, _ path: String, _ body: String, _ status: Int, _ code: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let reply = method == "POST" ? try await collector.post(path, body) : try await collector.get(path)
            #expect(reply.status == status)
            #expect(reply.json["error"] as? String == code)
            #expect((reply.json["detail"] as? String)?.isEmpty == false)
            #expect(try await collector.storedDays().isEmpty)
        }
    }

    @Test func aWrongBucketHostIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let reply = try await collector.get(
                "/instance-\(Self.id).log", headers: [("Host", "kubeflow-on-aws-usage-tracking-bogus.s3.bogus.amazonaws.com")]
            )
            #expect(reply.status == 400)
            #expect(reply.json["error"] as? String == "invalid_region")
            #expect(try await collector.storedDays().isEmpty)
        }
    }

    @Test func aBucketHostWithAnOverlongRegionIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let region = "us-" + String(repeating: "a", count: 3000) + "-1"
            let reply = try await collector.get(
                "/instance-\(Self.id).log", headers: [("Host", "kubeflow-on-aws-usage-tracking-\(region).s3.\(region).amazonaws.com")]
            )
            #expect(reply.status == 400)
            #expect(reply.json["error"] as? String == "invalid_region")
            #expect(try await collector.storedDays().isEmpty)
        }
    }

    /// Codes of a region's shape that are not one of today's regions are stored (a region
    /// launched since is not lost) but counted together under `other`: inventing codes adds no
    /// scope to the reports.
    @Test func madeUpRegionsCountTogetherUnderOther() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.rateLimit = 0 }) { collector in
            for n in 0..<40 {
                let id = "i-" + String(repeating: "0", count: 15) + String(format: "%02x", n)
                let reply = try await collector.post("/v1/pings", #"{"instance_id":"\#(id)","region":"us-fake\#(String(UnicodeScalar(UInt8(97 + n % 26))))-\#(n % 90)"}"#)
                #expect(reply.status == 200)
            }
            #expect(try await collector.post("/v1/pings", #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#).status == 200)
            let regions = try await collector.get("/v1/reports/regions")
            let rows = try #require(regions.json["regions"] as? [[String: Any]])
            #expect(rows.map { $0["region"] as? String } == ["other", "us-west-2"])
            #expect(rows.first?["active_1d"] as? Int == 40)
            let stored = try #require(try await collector.store.instanceRecord(InstanceID(validating: "i-00000000000000005")))
            #expect(stored.region == "us-fakef-5", "the row keeps the code itself")
            let refused = try await collector.get("/v1/reports/actives?region=us-fakef-5")
            #expect(refused.status == 400)
            #expect(refused.json["error"] as? String == "invalid_region")
        }
    }

    @Test func dataSurvivesARestartOfTheCollector() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        try await LiveCollector.run(databasePath: path) { collector in
            let reply = try await collector.post("/v1/pings", Self.body)
            #expect(reply.status == 200)
        }
        try await LiveCollector.run(databasePath: path) { collector in
            let reply = try await collector.get("/v1/reports/actives?window=1")
            let days = try #require(reply.json["days"] as? [[String: Any]])
            #expect(days.count == 1)
            #expect(days.first?["active"] as? Int == 1)
            #expect(try await collector.post("/v1/pings", Self.body).body == #"{"recorded":true,"first_today":false}"#)
        }
    }

    @Test func concurrentPingsAreAllAcknowledgedAndCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // One client address sends them all: no rate limit here.
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.rateLimit = 0 }) { collector in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<60 {
                    let id = "i-" + String(format: "%017x", n % 15)
                    group.addTask { try await collector.post("/v1/pings", #"{"instance_id":"\#(id)","region":"us-east-1"}"#).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 })
            let days = try await collector.storedDays()
            #expect(days.count == 1)
            #expect(days.first?.active == 15)
            #expect(days.first?.pings == 60)
        }
    }
}
