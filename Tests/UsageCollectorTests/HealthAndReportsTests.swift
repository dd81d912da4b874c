import Foundation
import Testing
import TestSupport
import UsageCollector

@Suite struct HealthAndReportsTests {
    static let day0: Int64 = 1_795_910_400_000  // 2026-11-29T00:00:00Z

    @Test func probesAnswer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let health = try await collector.get("/healthz")
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")
            let ready = try await collector.get("/readyz")
            #expect(ready.status == 200)
            #expect(ready.json["status"] as? String == "ready")
        }
    }

    @Test func activesReportInJSONAndCSV() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(Self.day0 + 1000)
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), clock: clock.read) { collector in
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#)
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#)
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-4567abcd","region":"eu-west-1"}"#)
            clock.set(Self.day0 + 2 * 86_400_000)
            _ = try await collector.post("/v1/pings", #"{"instance_id":"i-4567abcd","region":"eu-west-1"}"#)

            let json = try await collector.get("/v1/reports/actives?window=1")
            #expect(json.status == 200)
            #expect(json.json["window"] as? Int == 1)
            let days = try #require(json.json["days"] as? [[String: Any]])
            #expect(days.map { $0["day"] as? String } == ["2026-11-29", "2026-11-30", "2026-12-01"])
            #expect(days.map { $0["active"] as? Int } == [2, 0, 1])
            #expect(days.map { $0["new"] as? Int } == [2, 0, 0])
            #expect(days.map { $0["pings"] as? Int } == [3, 0, 1])

            let csv = try await collector.get("/v1/reports/actives?format=csv&from=2026-11-29&to=2026-11-30")
            #expect(csv.headers["Content-Type"].first?.hasPrefix("text/csv") == true)
            #expect(csv.body == "day,active_instances,new_instances,pings\n2026-11-29,2,2,3\n2026-11-30,0,0,0\n")
            let accepted = try await collector.get("/v1/reports/actives?window=7&region=eu-west-1", headers: [("Accept", "text/csv")])
            #expect(accepted.body == "day,active_instances,new_instances,pings\n2026-11-29,1,1,1\n2026-11-30,1,0,0\n2026-12-01,1,0,1\n")
        }
    }
}
