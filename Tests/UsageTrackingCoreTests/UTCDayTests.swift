import Testing
import UsageTrackingCore

@Suite struct UTCDayTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01"),
        (Int64(86_399_999), "1970-01-01"),
        (Int64(86_400_000), "1970-01-02"),
        (Int64(-1), "1969-12-31"),
        (Int64(1_795_910_400_000), "2026-11-29"),  // 2026-11-29T00:00:00Z
        (Int64(1_795_996_799_999), "2026-11-29"),  // 23:59:59.999Z
        (Int64(951_782_400_000), "2000-02-29"),
    ])
    func dayOfAnInstant(_ milliseconds: Int64, _ expected: String) {
        #expect(UTCDay(containingMilliseconds: milliseconds).iso8601 == expected)
    }

    @Test(arguments: ["2026-11-29", "2000-02-29", "1970-01-01", "2024-12-31"])
    func parsesAndPrintsDates(_ text: String) throws {
        #expect(try UTCDay(iso8601: text).iso8601 == text)
    }

    @Test(arguments: ["2026-02-29", "2026-13-01", "2026-00-10", "2026-11-31", "26-11-29", "2026/11/29", "", "2026-11-29T00:00:00Z", "2026-1-29"])
    func refusesMalformedDates(_ text: String) {
        #expect(throws: InvalidInput.self) { try UTCDay(iso8601: text) }
    }

    @Test func weekdaysAndWeeks() throws {
        let sunday = try UTCDay(iso8601: "2026-11-29")
        #expect(sunday.isoWeekday == 7)
        #expect(sunday.startOfWeek.iso8601 == "2026-11-23")
        #expect(try UTCDay(iso8601: "1970-01-01").isoWeekday == 4)
    }

    @Test func timestampsAreRFC3339InUTC() {
        #expect(Timestamp.rfc3339(milliseconds: 1_795_910_400_123) == "2026-11-29T00:00:00.123Z")
        #expect(Timestamp.rfc3339(milliseconds: 1_795_996_799_999) == "2026-11-29T23:59:59.999Z")
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-29T00:00:00Z", Int64(1_795_910_400_000)),
        ("2026-11-29t00:00:00z", Int64(1_795_910_400_000)),
        ("2026-11-29 00:00:00Z", Int64(1_795_910_400_000)),
        ("2026-11-29T00:00:00.250Z", Int64(1_795_910_400_250)),
        ("2026-11-29T00:00:00.5Z", Int64(1_795_910_400_500)),
        ("2026-11-29T02:00:00+02:00", Int64(1_795_910_400_000)),
        ("2026-11-28T19:00:00-05:00", Int64(1_795_910_400_000)),
        ("2026-11-29T05:30:00+05:30", Int64(1_795_910_400_000)),
    ])
    func parsesTimes(_ text: String, _ expected: Int64) throws {
        #expect(try RFC3339.milliseconds(text) == expected)
    }

    @Test(arguments: ["2026-11-29", "2026-11-29T00:00:00", "2026-11-29T24:00:00Z", "2026-11-29T00:00:00+0200", "2026-02-30T00:00:00Z", "yesterday", "2026-11-29T00:00:00.Z", "2026-11-29T00:00:00Zjunk"])
    func refusesOtherText(_ text: String) {
        #expect(throws: InvalidInput.self) { try RFC3339.milliseconds(text) }
    }

    @Test func csvLines() throws {
        let ping = try PingCSV.ping("2026-11-29T10:00:00Z,i-0123abcd,us-west-2")
        #expect(ping.instanceID.rawValue == "i-0123abcd")
        #expect(ping.region?.code == "us-west-2")
        #expect(ping.day.iso8601 == "2026-11-29")
        #expect(try PingCSV.ping("2026-11-29T10:00:00Z,i-0123abcd,").region == nil)
        #expect(throws: InvalidInput.self) { try PingCSV.ping("2026-11-29T10:00:00Z,i-fake,us-west-2") }
        #expect(throws: InvalidInput.self) { try PingCSV.ping("2026-11-29T10:00:00Z,i-0123abcd,us-west-2,extra") }
        #expect(throws: InvalidInput.self) { try PingCSV.ping("2026-11-29T10:00:00Z,i-0123abcd,us-west-2a") }
    }
}
