import Testing
import UsageTrackingCore

/// The 28-day count arithmetic every store shares, against counting the days directly.
struct DaysSeenTests {
    /// The counts per day that a list of entries adds up to, from `first` through `last`.
    static func counts(_ entries: [DaysSeen.Delta], _ days: ClosedRange<Int>) -> [[Int]] {
        days.map { day in
            var counts = Array(repeating: 0, count: DaysSeen.window)
            for entry in entries where entry.day <= day { counts[entry.seen - 1] += entry.delta }
            return counts
        }
    }

    /// One instance's count on each day, counted directly: one 1 at its count, or nothing.
    static func direct(_ days: [Int], _ range: ClosedRange<Int>) -> [[Int]] {
        range.map { day in
            var counts = Array(repeating: 0, count: DaysSeen.window)
            let seen = days.filter { $0 > day - DaysSeen.window && $0 <= day }.count
            if seen > 0 { counts[seen - 1] = 1 }
            return counts
        }
    }

    @Test func oneDayCountsOnceForTheTwentyEightDaysItIsInTheWindow() {
        #expect(DaysSeen.contribution(ofDays: [10]) == [.init(seen: 1, day: 10, delta: 1), .init(seen: 1, day: 38, delta: -1)])
        #expect(DaysSeen.contribution(ofDays: []).isEmpty)
    }

    @Test(arguments: [[0], [0, 1], [0, 27, 28], [3, 5, 40, 41, 42, 90], Array(0..<28), Array(stride(from: -50, to: 50, by: 3))])
    func contributionsAddUpToTheDirectCounts(_ days: [Int]) {
        let range = (days.first! - 3)...(days.last! + 31)
        #expect(Self.counts(DaysSeen.contribution(ofDays: days), range) == Self.direct(days, range))
        // Clipped, the entries give the counts inside the clip and nothing outside it.
        let clip = (days.first! + 2)...(days.first! + 30)
        let clipped = Self.counts(DaysSeen.contribution(ofDays: days, clip: clip), range)
        for (offset, day) in range.enumerated() {
            #expect(clipped[offset] == (clip.contains(day) ? Self.direct(days, day...day)[0] : Array(repeating: 0, count: 28)), "day \(day)")
        }
    }

    @Test(arguments: [0, 5, 27, 28, 29, 60])
    func addingOrRemovingADayChangesTheCountsByTheDifference(_ added: Int) {
        let others = [1, 3, 4, 30, 31, 55, 58].filter { $0 != added }
        let range = -5...100
        let with = (others + [added]).sorted()
        let before = Self.counts(DaysSeen.contribution(ofDays: others), range)
        let after = Self.counts(DaysSeen.contribution(ofDays: others) + DaysSeen.change(adding: added, to: others), range)
        #expect(after == Self.direct(with, range))
        let removed = Self.counts(DaysSeen.contribution(ofDays: with) + DaysSeen.change(adding: added, to: others, sign: -1), range)
        #expect(removed == before)
    }
}
