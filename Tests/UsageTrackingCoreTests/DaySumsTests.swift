import Testing
import UsageTrackingCore

/// The per-day sums behind the rollup changes: every day added comes out once with its total,
/// in day order, wherever it falls (dense array or the strays' dictionary).
@Suite struct DaySumsTests {
    /// What `nonZero()` must return: the totals per day, zeros left out, by day.
    static func expected(_ additions: [(day: Int, value: Int)]) -> [Int: Int] {
        additions.reduce(into: [:]) { $0[$1.day, default: 0] += $1.value }.filter { $0.value != 0 }
    }

    static func check(_ additions: [(day: Int, value: Int)]) {
        var sums = DaySums<Int>()
        for addition in additions { sums.add(addition.value, on: addition.day) }
        let result = sums.nonZero()
        #expect(sums.arraySpan <= DaySums<Int>.maximumSpan)
        #expect(result.map(\.day) == result.map(\.day).sorted())
        #expect(Dictionary(uniqueKeysWithValues: result.map { ($0.day, $0.sum) }) == expected(additions))
    }

    @Test func daysInAnyOrderAddUp() {
        Self.check((0..<500).map { (day: 20_000 + $0 % 37, value: $0 % 5 - 2) })        // ascending runs
        Self.check((0..<500).reversed().map { (day: 20_000 + $0, value: 1) })           // descending
        Self.check([(20_000, 1), (20_000, -1), (19_000, 3), (21_000, -3)])              // a zero sum is left out
    }

    @Test func aStrayDayFarAwayStaysExact() {
        // Year 9999 beside 2024: the array cannot span both, so one of them is summed aside.
        let far = 2_932_896, near = 19_723
        Self.check([(near, 1), (far, 2), (near + 1, 1), (far, 3), (near - 400, 5)])
        Self.check([(far, 2), (near, 1), (far - 1, 1)])
        // Days descending from just inside the span's edge: the spare room added at the front
        // stops at the span, and the day beyond it is summed aside.
        Self.check((0...20).map { (day: 65_535 - $0 * 4_000, value: 1) } + [(day: -1, value: 7), (day: 65_535, value: 1)])
    }
}
