/// How many of the last 28 days each instance was seen on: the arithmetic of the `days seen`
/// rollup, shared by every store.
///
/// For a day D, an instance's count is the number of its active days in [D − 27, D]. The rollup
/// holds, per count s (1…28), a difference array over days: the instances whose count on D is s
/// are the sum of its deltas over days ≤ D. An instance's days t₁ < … < tₙ make its count change
/// only on the days tᵢ (one more) and tᵢ + 28 (one fewer), so between two such days it is one
/// segment: +1 to s at the segment's start, −1 at its end.
public enum DaysSeen {
    /// The days looked back over, the day itself included.
    public static let window = 28
    /// How the days-seen report groups the instances: seen on 1, 2–7, 8–20 and 21–28 of the 28 days.
    public static let buckets: [ClosedRange<Int>] = [1...1, 2...7, 8...20, 21...28]
    /// Regular instances are seen on at least 21 of the 28 days.
    public static let regularDays = 21...28

    /// One entry of the difference array: `delta` added to count `seen` from `day` on.
    public struct Delta: Hashable, Sendable {
        public let seen: Int
        public let day: Int
        public let delta: Int

        public init(seen: Int, day: Int, delta: Int) {
            self.seen = seen
            self.day = day
            self.delta = delta
        }

        /// The entry that undoes this one.
        public var negated: Delta { Delta(seen: seen, day: day, delta: -delta) }
    }

    /// An instance's entries for its `days` (day numbers, ascending, each once), limited to the
    /// counts of days in `clip` (all days when nil).
    ///
    /// The counts in `clip` depend only on the days from `clip.lowerBound − 27` to
    /// `clip.upperBound`: a store reads just those to find what one write changes, the entries
    /// after the write minus those before. A count outside `clip` computed from such a partial
    /// read would be wrong, which is why it is left out.
    public static func contribution(ofDays days: [Int], clip: ClosedRange<Int>? = nil) -> [Delta] {
        var entries: [Delta] = []
        var count = 0
        var entering = days.startIndex
        var leaving = days.startIndex
        while leaving < days.endIndex {
            // The next day the count changes: a day entering the window, or one leaving it.
            let day = entering < days.endIndex ? min(days[entering], days[leaving] + window) : days[leaving] + window
            while entering < days.endIndex && days[entering] == day {
                count += 1
                entering += 1
            }
            while leaving < days.endIndex && days[leaving] + window == day {
                count -= 1
                leaving += 1
            }
            guard count > 0 else { continue }
            let next = entering < days.endIndex ? min(days[entering], days[leaving] + window) : days[leaving] + window
            let start = max(day, clip?.lowerBound ?? day)
            let end = min(next, (clip?.upperBound ?? next) + 1)
            if start < end {
                entries.append(Delta(seen: count, day: start, delta: 1))
                entries.append(Delta(seen: count, day: end, delta: -1))
            }
        }
        return entries
    }

    /// What adding `day` to an instance's other `days` (ascending, without `day`) changes: the
    /// entries after minus those before, over the counts it changes (days `day` … `day` + 27).
    /// Only the instance's days within 27 days of `day` matter.
    public static func change(adding day: Int, to days: [Int], sign: Int = 1) -> [Delta] {
        let clip = day...(day + window - 1)
        var with = days
        with.insert(day, at: with.firstIndex { $0 > day } ?? with.endIndex)
        let after = contribution(ofDays: sign > 0 ? with : days, clip: clip)
        let before = contribution(ofDays: sign > 0 ? days : with, clip: clip)
        return after + before.map(\.negated)
    }
}

/// Instances by how many of the last 28 days they were seen on, for one day.
public struct DaysSeenCounts: Hashable, Sendable {
    public let day: UTCDay
    /// `instances[s - 1]`: instances seen on exactly s of the 28 days ending on `day`.
    public let instances: [Int]

    public init(day: UTCDay, instances: [Int]) {
        precondition(instances.count == DaysSeen.window)
        self.day = day
        self.instances = instances
    }

    /// The counts of each day from `from` through `to`, from a store's difference-array entries
    /// (every entry up to `to`, in day order: the sums start before `from`).
    public static func prefixSums(_ entries: [(seen: Int, day: Int, delta: Int)], from: UTCDay, to: UTCDay) -> [DaysSeenCounts] {
        var running = Array(repeating: 0, count: DaysSeen.window)
        var next = entries.startIndex
        var result: [DaysSeenCounts] = []
        for day in from...to {
            while next < entries.endIndex && entries[next].day <= day.daysSinceEpoch {
                running[entries[next].seen - 1] += entries[next].delta
                next += 1
            }
            result.append(DaysSeenCounts(day: day, instances: running))
        }
        return result
    }

    /// Instances seen on `range.lowerBound` to `range.upperBound` of the 28 days.
    public func seen(_ range: ClosedRange<Int>) -> Int { instances[(range.lowerBound - 1)...(range.upperBound - 1)].reduce(0, +) }

    /// Instances active at least once in the 28 days: the 28-day active count.
    public var active: Int { seen(1...28) }

    /// Instances seen on at least 21 of the 28 days.
    public var regular: Int { seen(DaysSeen.regularDays) }
}
