import Testing
import UsageCollector
import UsageStore
import UsageTrackingCore

/// The reports as the API and `stats` print them (``RenderedReport``).
@Suite struct ReportRenderingTests {
    let actives = ActivesReport.Result(window: 1, days: [
        DailyActivity(day: UTCDay(daysSinceEpoch: 20_786), active: 2, new: 2, pings: 3),
        DailyActivity(day: UTCDay(daysSinceEpoch: 20_787), active: 1, new: 0, pings: 1),
    ])

    @Test func activesJSONHasTheDocumentedShapeAndKeyOrder() {
        #expect(actives.json(minimumCount: nil) == #"{"window":1,"days":[{"day":"2026-11-29","active":2,"new":2,"pings":3},{"day":"2026-11-30","active":1,"new":0,"pings":1}]}"#)
        #expect(ActivesReport.Result(window: 7, days: []).json(minimumCount: nil) == #"{"window":7,"days":[]}"#)
    }

    @Test func activesCSVHasTheDocumentedHeaderAndTheTableAlignsIt() {
        #expect(actives.csv(minimumCount: nil) == "day,active_instances,new_instances,pings\n2026-11-29,2,2,3\n2026-11-30,1,0,1\n")
        #expect(actives.table(minimumCount: nil) == "day         active  new  pings\n2026-11-29       2    2      3\n2026-11-30       1    0      1\n")
    }

    @Test func daysSeenGroupsTheCountsAndNamesTheRegularInstances() {
        var instances = Array(repeating: 0, count: 28)
        instances[0] = 4  // seen on 1 day
        instances[6] = 1  // 7 days
        instances[7] = 2  // 8 days
        instances[20] = 3 // 21 days
        instances[27] = 5 // every day
        let day = UTCDay(daysSinceEpoch: 20_000)
        let report = DaysSeenReport.Result(days: [DaysSeenCounts(day: day, instances: instances)])
        #expect(report.csv(minimumCount: nil) == "day,seen_1,seen_2_7,seen_8_20,seen_21_28,active_28d,regular\n\(day),4,1,2,8,15,8\n")
        #expect(report.json(minimumCount: 3) == #"{"window":28,"regular_days":21,"days":[{"day":"\#(day)","seen_1":4,"seen_2_7":"<3","seen_8_20":"<3","seen_21_28":8,"active_28d":15,"regular":8}]}"#)
    }
}
