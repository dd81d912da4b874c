import Foundation
import Testing
import TestSupport
import UsageCollector
import UsageTrackingCore

/// `--min-count K` hides counts of 1 to K-1, and no hidden count can be computed back from what
/// is shown beside it and a total shown elsewhere: a total of 11, one region 10 and another
/// `<5` gave the hidden 1 away by subtraction.
@Suite struct SmallCountTests {
    static func id(_ n: Int) -> String { "i-" + String(repeating: "0", count: 15) + String(format: "%02x", n) }

    func withCollector(_ body: (LiveCollector) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: {
            $0.minimumCount = 5
            $0.rateLimit = 0
        }) { collector in
            for n in 0..<10 {
                #expect(try await collector.post("/v1/pings", #"{"instance_id":"\#(Self.id(n))","region":"us-west-2"}"#).status == 200)
            }
            #expect(try await collector.post("/v1/pings", #"{"instance_id":"\#(Self.id(10))","region":"eu-west-1"}"#).status == 200)
            try await body(collector)
        }
    }

    @Test func theRegionsReportHidesAPartnerOfALoneHiddenCount() async throws {
        try await withCollector { collector in
            let total = try await collector.get("/v1/reports/actives")
            #expect(((total.json["days"] as? [[String: Any]])?.first?["active"] as? Int) == 11)
            let regions = try await collector.get("/v1/reports/regions?format=csv")
            #expect(regions.body == """
                region,active_1d,active_7d,active_28d,new_instances,pings
                us-west-2,>=5,>=5,>=5,>=5,<5
                eu-west-1,<5,<5,<5,<5,<5

                """, "a shown 10 would give away the hidden 1 (11 − 10)")
        }
    }

    @Test func aRegionsSeriesHidesItsCountWhenItIsTheOtherRegionsPartner() async throws {
        try await withCollector { collector in
            let oregon = try await collector.get("/v1/reports/actives?region=us-west-2&format=csv")
            #expect(oregon.body.hasSuffix(",>=5,>=5,<5\n"), "\(oregon.body)")
            let ireland = try await collector.get("/v1/reports/actives?region=eu-west-1&format=csv")
            #expect(ireland.body.hasSuffix(",<5,<5,<5\n"), "\(ireland.body)")
            let new = try await collector.get("/v1/reports/new?region=us-west-2")
            #expect(((new.json["days"] as? [[String: Any]])?.first?["new"] as? String) == ">=5")
            // Without the limit nothing is hidden.
            let days = try await collector.store.dailyActivity(from: nil, to: nil, window: 1, region: Region(validating: "us-west-2"))
            #expect(days.first?.active == 10)
        }
    }

    @Test func hiddenPartsOfATotalAreNeverOneAlone() {
        #expect(SmallCounts.hidden([10, 1], minimumCount: 5) == [true, true])
        #expect(SmallCounts.hidden([10, 1, 2], minimumCount: 5) == [false, true, true])
        #expect(SmallCounts.hidden([10, 7, 1], minimumCount: 5) == [false, true, true], "the smallest other count goes with it")
        #expect(SmallCounts.hidden([10, 0, 1], minimumCount: 5) == [true, false, true], "a zero hides nothing")
        #expect(SmallCounts.hidden([10, 7], minimumCount: 5) == [false, false])
        #expect(SmallCounts.hidden([1], minimumCount: 5) == [true])
        #expect(SmallCounts.hidden([10, 1], minimumCount: nil) == [false, false])
    }
}
