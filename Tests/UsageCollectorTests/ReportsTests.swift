import Foundation
import Testing
import TestSupport
import UsageTrackingCore

/// Every report, filter and format against a hand-made CSV whose answers are known.
///
/// The pings (known-pings.csv), by UTC day; weeks start on Mondays 11-02, 11-09, 11-16:
///   A i-0000000a us-west-2: 11-02 (twice), 11-03, 11-10, 11-16
///   B i-0000000b us-west-2: 11-02, 11-09
///   C i-0000000c eu-west-1: 11-04, 11-05, 11-06
///   D i-0000000d cn-north-1: 11-10 (sent 11-09 22:00 at -04:00)
///   E i-0000000e no region:  11-16
/// plus three lines that are refused (i-fake, a zone as region, a bad time).
@Suite(.serialized) struct ReportsTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/known-pings.csv").path

    /// Imports the fixture with the real `usage-collector import-csv`, then serves the database.
    func withImportedCollector(_ body: (LiveCollector) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        let first = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", Self.fixture, "--database", database])
        #expect(first.exitCode == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("15 lines, 12 pings, 3 rejected; (instance, day) rows: 11 new, 0 grown, 0 unchanged"), "\(first.standardOutput)")
        #expect(first.standardOutput.contains("line 14: "))
        let again = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", Self.fixture, "--database", database])
        #expect(again.standardOutput == "\(Self.fixture): already imported, not read\n", "importing twice reads nothing and changes nothing")
        try await LiveCollector.run(databasePath: database) { collector in try await body(collector) }
    }

    static func column(_ reply: LiveCollector.Reply, _ key: String, in list: String = "days") -> [Int] {
        ((reply.json[list] as? [[String: Any]]) ?? []).compactMap { $0[key] as? Int }
    }

    @Test func actives() async throws {
        try await withImportedCollector { collector in
            let daily = try await collector.get("/v1/reports/actives?window=1")
            #expect(daily.status == 200)
            #expect((daily.json["days"] as? [[String: Any]])?.first?["day"] as? String == "2026-11-02")
            #expect(Self.column(daily, "active") == [2, 1, 1, 1, 1, 0, 0, 1, 2, 0, 0, 0, 0, 0, 2])
            #expect(Self.column(daily, "new") == [2, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])
            #expect(Self.column(daily, "pings") == [3, 1, 1, 1, 1, 0, 0, 1, 2, 0, 0, 0, 0, 0, 2])
            let weekly = try await collector.get("/v1/reports/actives?window=7")
            #expect(Self.column(weekly, "active") == [2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3])
            let monthly = try await collector.get("/v1/reports/actives?window=28&from=2026-11-16&to=2026-11-16")
            #expect(Self.column(monthly, "active") == [5])
            let oregon = try await collector.get("/v1/reports/actives?window=7&region=us-west-2")
            #expect(Self.column(oregon, "active") == [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1])
            let csv = try await collector.get("/v1/reports/actives?from=2026-11-09&to=2026-11-10&format=csv")
            #expect(csv.body == "day,active_instances,new_instances,pings\n2026-11-09,1,0,1\n2026-11-10,2,1,2\n")
            // An empty range and a region with no data: zeros for each day asked, nothing otherwise.
            let empty = try await collector.get("/v1/reports/actives?from=2027-01-01&to=2027-01-02", headers: [("Accept", "text/csv")])
            #expect(empty.body == "day,active_instances,new_instances,pings\n2027-01-01,0,0,0\n2027-01-02,0,0,0\n")
            let nowhere = try await collector.get("/v1/reports/actives?region=sa-east-1")
            #expect(nowhere.body == #"{"window":1,"days":[]}"#)
        }
    }

    @Test func newAndChurned() async throws {
        try await withImportedCollector { collector in
            let new = try await collector.get("/v1/reports/new?from=2026-11-02&to=2026-11-05")
            #expect(new.body == #"{"days":[{"day":"2026-11-02","new":2},{"day":"2026-11-03","new":0},{"day":"2026-11-04","new":1},{"day":"2026-11-05","new":0}]}"#)
            let newInChina = try await collector.get("/v1/reports/new?region=cn-north-1&format=csv")
            #expect(newInChina.body == "day,new_instances\n2026-11-10,1\n")
            let churned = try await collector.get("/v1/reports/churned?after=5")
            #expect(churned.json["after"] as? Int == 5)
            #expect((churned.json["days"] as? [[String: Any]])?.first?["day"] as? String == "2026-11-07")
            #expect(Self.column(churned, "churned") == [0, 0, 0, 0, 1, 0, 0, 1, 1, 0])
            let churnedCSV = try await collector.get("/v1/reports/churned?after=5&from=2026-11-14&to=2026-11-20&format=csv")
            // Days after the last day stored (11-16) are left out: "not since" is not known yet.
            #expect(churnedCSV.body == "day,churned_instances\n2026-11-14,1\n2026-11-15,1\n2026-11-16,0\n")
            let oregon = try await collector.get("/v1/reports/churned?after=5&region=us-west-2&format=csv")
            #expect(oregon.body.contains("2026-11-14,1\n"))
            #expect(!oregon.body.contains("2026-11-11,1"))
        }
    }

    @Test func regionsAndRetention() async throws {
        try await withImportedCollector { collector in
            let regions = try await collector.get("/v1/reports/regions?format=csv")
            #expect(regions.body == """
                region,active_1d,active_7d,active_28d,new_instances,pings
                us-west-2,1,1,2,2,7
                cn-north-1,0,1,1,1,1
                eu-west-1,0,0,1,1,3
                unknown,1,1,1,1,1

                """)
            let json = try await collector.get("/v1/reports/regions")
            #expect(json.json["from"] as? String == "2026-11-02")
            #expect(json.json["to"] as? String == "2026-11-16")
            let retention = try await collector.get("/v1/reports/retention?cohort=week")
            #expect(retention.body == #"{"cohort":"week","cohorts":[{"week":"2026-11-02","instances":3,"active":[3,2,1]},{"week":"2026-11-09","instances":1,"active":[1,0]},{"week":"2026-11-16","instances":1,"active":[1]}]}"#)
            let csv = try await collector.get("/v1/reports/retention?format=csv&from=2026-11-02&to=2026-11-08")
            #expect(csv.body == "cohort_week,instances,weeks_after,active_instances,share\n2026-11-02,3,0,3,1.0000\n2026-11-02,3,1,2,0.6667\n2026-11-02,3,2,1,0.3333\n")
        }
    }

    @Test func daysSeen() async throws {
        try await withImportedCollector { collector in
            // 11-16: A on 4 of the 28 days, B on 2, C on 3, D and E on 1.
            let json = try await collector.get("/v1/reports/days-seen?from=2026-11-16&to=2026-11-16")
            #expect(json.status == 200)
            #expect(json.body == #"{"window":28,"regular_days":21,"days":[{"day":"2026-11-16","seen_1":2,"seen_2_7":3,"seen_8_20":0,"seen_21_28":0,"active_28d":5,"regular":0}]}"#)
            // 11-30: A's 11-02 and B's 11-02 are more than 27 days back, so B is seen on 1 day.
            let csv = try await collector.get("/v1/reports/days-seen?from=2026-11-29&to=2026-11-30&format=csv")
            #expect(csv.body == "day,seen_1,seen_2_7,seen_8_20,seen_21_28,active_28d,regular\n2026-11-29,2,3,0,0,5,0\n2026-11-30,3,2,0,0,5,0\n")
            // Over the days stored by default: the first day has A and B, once each.
            let all = try await collector.get("/v1/reports/days-seen")
            #expect(Self.column(all, "seen_1").first == 2)
            #expect(Self.column(all, "active_28d") == Self.column(try await collector.get("/v1/reports/actives?window=28"), "active"))
        }
    }

    /// An instance seen on 22 days in a row is regular while at least 21 of them are among the
    /// last 28, and not from the day only 20 are; one seen every other day never is.
    @Test func regularInstancesAreThoseSeenOnAtLeast21OfTheLast28Days() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let start = try UTCDay(iso8601: "2026-10-01")
        var lines = ["time,instance_id,region"]
        for day in 0..<22 { lines.append("\(start.advanced(by: day))T06:00:00Z,i-00000001,us-west-2") }
        for day in 0..<20 { lines.append("\(start.advanced(by: 2 * day % 28))T07:00:00Z,i-00000002,us-west-2") }
        let csv = directory.path("pings.csv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let database = directory.path("usage.sqlite")
        let collector = ProcessRunner.product("usage-collector")
        let imported = try await ProcessRunner.runAsync(collector, ["import-csv", csv, "--database", database])
        #expect(imported.exitCode == 0, "\(imported.standardError)")
        // i-00000002 is seen on the 14 even days 0-26 (the last six twice over).
        let report = try await ProcessRunner.runAsync(collector, ["stats", "--database", database, "--report", "days-seen", "--format", "csv",
                                                                  "--from", "2026-10-22", "--to", "2026-10-30"])
        #expect(report.exitCode == 0, "\(report.standardError)")
        #expect(report.standardOutput == """
            day,seen_1,seen_2_7,seen_8_20,seen_21_28,active_28d,regular
            2026-10-22,0,0,1,1,2,1
            2026-10-23,0,0,1,1,2,1
            2026-10-24,0,0,1,1,2,1
            2026-10-25,0,0,1,1,2,1
            2026-10-26,0,0,1,1,2,1
            2026-10-27,0,0,1,1,2,1
            2026-10-28,0,0,1,1,2,1
            2026-10-29,0,0,1,1,2,1
            2026-10-30,0,0,2,0,2,0

            """)
        let table = try await ProcessRunner.runAsync(collector, ["stats", "--database", database, "--report", "days-seen", "--from", "2026-10-22", "--to", "2026-10-22"])
        #expect(table.standardOutput.contains("regular"), "\(table.standardOutput)")
    }

    @Test(arguments: [
        ("/v1/reports/days-seen?region=us-west-2", "unknown_parameter"),
        ("/v1/reports/days-seen?from=2026-12-01&to=2026-11-01", "invalid_range"),
        ("/v1/reports/actives?from=2026-12-01&to=2026-11-01", "invalid_range"),
        ("/v1/reports/actives?from=2026-13-01", "invalid_date"),
        ("/v1/reports/actives?window=3", "invalid_window"),
        ("/v1/reports/actives?window=07", "invalid_window"),
        ("/v1/reports/actives?window=%2B7", "invalid_window"),
        ("/v1/reports/actives?region=mars-1", "invalid_region"),
        ("/v1/reports/actives?format=xml", "invalid_format"),
        ("/v1/reports/actives?from=0001-01-01&to=9999-12-31", "invalid_date"),
        ("/v1/reports/actives?from=2020-01-01&to=2099-12-31", "range_too_large"),
        ("/v1/reports/new?from=2026-12-01&to=2026-11-01", "invalid_range"),
        ("/v1/reports/churned?after=0", "invalid_after"),
        ("/v1/reports/churned?after=soon", "invalid_after"),
        ("/v1/reports/churned?after=030", "invalid_after"),
        ("/v1/reports/retention?cohort=month", "invalid_cohort"),
        ("/v1/reports/regions?from=2026-11-31", "invalid_date"),
        ("/v1/reports/regions?region=us-west-2", "unknown_parameter"),
        ("/v1/reports/new?window=7", "unknown_parameter"),
        ("/v1/reports/retention?to=yesterday", "invalid_date"),
    ])
    func badQueriesGet400(_ path: String, _ code: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let reply = try await collector.get(path)
            #expect(reply.status == 400)
            #expect(reply.json["error"] as? String == code)
        }
    }

    @Test func statsPrintsTheSameReports() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        _ = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", Self.fixture, "--database", database])
        let collector = ProcessRunner.product("usage-collector")
        let json = try await ProcessRunner.runAsync(collector, ["stats", "--database", database, "--format", "json", "--from", "2026-11-02", "--to", "2026-11-03"])
        #expect(json.standardOutput == #"{"window":1,"days":[{"day":"2026-11-02","active":2,"new":2,"pings":3},{"day":"2026-11-03","active":1,"new":0,"pings":1}]}"# + "\n")
        let retention = try await ProcessRunner.runAsync(collector, ["stats", "--database", database, "--report", "retention", "--format", "csv", "--to", "2026-11-08"])
        #expect(retention.standardOutput.hasPrefix("cohort_week,instances,weeks_after,active_instances,share\n2026-11-02,3,0,3,1.0000\n"))
        let regions = try await ProcessRunner.runAsync(collector, ["stats", "--database", database, "--report", "regions"])
        #expect(regions.standardOutput.split(separator: "\n").first?.hasPrefix("region") == true)
        #expect(regions.standardOutput.contains("us-west-2"))
        let bad = try await ProcessRunner.runAsync(collector, ["stats", "--database", database, "--report", "weather"])
        #expect(bad.exitCode == 64)
    }

    /// One definition per report: the API and `stats` refuse the same query in the same words,
    /// also when the range is too long only once its defaults are filled in (the fixture's
    /// first day, 2026-11-02, to 2099-12-31).
    @Test(arguments: [
        ("actives", [("from", "1900-01-01"), ("to", "2990-01-01")], "invalid_date"),
        ("actives", [("to", "2099-12-31")], "range_too_large"),
        ("churned", [("from", "2015-01-01")], "range_too_large"),
        ("days-seen", [("window", "7")], "unknown_parameter"),
        ("actives", [("window", "3")], "invalid_window"),
        ("new", [("region", "mars-1")], "invalid_region"),
    ])
    func theAPIAndStatsRefuseTheSameQueryAlike(_ report: String, _ parameters: [(String, String)], _ code: String) async throws {
        try await withImportedCollector { collector in
            let query = parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            let reply = try await collector.get("/v1/reports/\(report)?\(query)")
            #expect(reply.status == 400)
            #expect(reply.json["error"] as? String == code)
            let detail = try #require(reply.json["detail"] as? String)
            let stats = try await ProcessRunner.runAsync(
                ProcessRunner.product("usage-collector"),
                ["stats", "--database", collector.store.driver.path, "--report", report] + parameters.flatMap { ["--\($0.0)", $0.1] }
            )
            #expect(stats.exitCode == 64)
            #expect(stats.standardOutput.isEmpty, "nothing printed: \(stats.standardOutput.prefix(200))")
            #expect(stats.standardError.contains(detail), "stats said: \(stats.standardError)")
        }
    }
}
