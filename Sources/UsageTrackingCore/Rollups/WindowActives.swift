/// The 7- and 28-day active counts: on day D, the distinct instances active on at least one day
/// of the `window` days ending on D (D − window + 1 … D). This file is the whole rule, the side
/// that writes it and the side that reads it.
///
/// **Stored** as a difference array per window and scope (`window_delta`): the count on D is the
/// sum of the entries on days ≤ D. An instance active on day t covers the windows ending on
/// t … t + window − 1; the part its previous active day p (in the same scope) does not already
/// cover starts at max(t, p + window). So each active day adds two entries: +1 on that start and
/// −1 on t + window. An instance's entries depend only on its days and their previous days, which
/// is how ``RollupContribution`` finds what a change of a few rows does to the counts.
///
/// **Read** as prefix sums: ``actives(before:entries:days:)``.
public enum WindowActives {
    /// The windows kept, in days (the one-day count is `daily_rollup.active`).
    public static let windows = [7, 28]

    /// The two entries of an active day `day` whose previous active day in the scope is
    /// `previous`: +1 on `start`, −1 on `end`.
    @inline(__always)
    public static func entries(day: Int, previous: Int?, window: Int) -> (start: Int, end: Int) {
        (max(day, previous.map { $0 + window } ?? day), day + window)
    }

    /// The count on each day of `days`, from the sum of the entries before its first day and the
    /// entries on its days (in any order).
    public static func actives(before base: Int, entries: [(day: Int, delta: Int)], days: ClosedRange<Int>) -> [Int] {
        var deltas = [Int](repeating: 0, count: days.count)
        for entry in entries where days.contains(entry.day) {
            deltas[entry.day - days.lowerBound] += entry.delta
        }
        var running = base
        return deltas.map { delta in
            running += delta
            return running
        }
    }
}
