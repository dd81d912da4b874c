import Testing
@testable import UsageStore

/// The merge's sort: the same order as sorting by (instance text, day).
@Suite struct KeyOrderTests {
    @Test func sortsAsTheTextAndDayWould() {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        func id(_ digits: Int) -> String { "i-" + String((0..<digits).map { _ in hex.randomElement(using: &generator)! }) }
        // Raw IDs of both lengths, one a prefix of another, and 64-character keys (pseudonymised)
        // that share their first 24 characters and more.
        var instances = (0..<40).map { _ in id(Bool.random() ? 8 : 17) }
        instances.append(instances[0] + "000000000")
        let shared = String(repeating: "ab", count: 20)
        instances += (0..<10).map { _ in shared + String((0..<24).map { _ in hex.randomElement(using: &generator)! }) }
        let rows = (0..<2_000).map { _ in
            SQLiteDayWriter.DayRow(
                instance: instances.randomElement(using: &generator)!, day: Int.random(in: -3...40, using: &generator),
                region: nil, firstSeen: 0, lastSeen: 0, pings: 1
            )
        }
        let expected = rows.sorted { ($0.instance, $0.day) < ($1.instance, $1.day) }
        let sorted = rows.sortedInKeyOrder()
        #expect(sorted.map(\.instance) == expected.map(\.instance))
        #expect(sorted.map(\.day) == expected.map(\.day))
    }
}
