/// What one instance's rows add to every report rollup: the one definition of the rollups, used
/// by both stores for every write (a ping fold, an import, an erasure, a purge) and for a rebuild.
///
/// A change of an instance's rows within a day range R = [lo, hi] changes only some rollup rows,
/// and those depend only on the instance's summary and its rows within ``margin`` days of R. A
/// store reads just those, and the change to the rollups is the contribution after the change
/// minus the one before, both computed over R (``InstanceFold``). Over R:
///
/// - `daily_rollup`: each row in R is one active instance and its pings, in `*` and in its
///   region's scope; the instance counts as new on its first day, in `*` and in the scope of its
///   latest region (whatever R is: the summary is always read).
/// - `window_delta`: each row's two entries (``WindowActives``), per scope, for the rows in R and
///   the first row after R in each scope (whose previous row may be in R).
/// - `retention_weeks`: for each week overlapping R with a row, one instance of its cohort (the
///   week of its first day) active that week. A change that moves the cohort covers every row.
/// - `days_seen_delta`: the entries over the counts of days lo … hi + 27 (``DaysSeen``).
public enum RollupContribution {
    /// Days beyond a changed range whose rows its contribution reads: the longest window.
    public static let margin = max(WindowActives.windows.max()!, DaysSeen.window)

    /// The version of the rules that turn rows into rollup rows. A store whose rollups were kept
    /// under an older version rebuilds them from its rows when it opens. 2: regions outside the
    /// catalog count under `other` (``RollupChanges/scope(_:)``); 1: each code was its own scope.
    public static let rulesVersion = 2

    /// The stored days whose rows a change within `range` needs.
    public static func context(of range: ClosedRange<Int>) -> ClosedRange<Int> {
        (range.lowerBound - margin)...(range.upperBound + margin)
    }

    /// Adds `sign` times the contribution of an instance with `summary` and `days` (ascending,
    /// holding at least every row in `context(of: range)`) over `range`, or over all its rows
    /// when `range` is nil.
    public static func add(
        instance summary: StoredInstance?, days: some BidirectionalCollection<StoredDay>, over range: ClosedRange<Int>?, sign: Int,
        to changes: inout RollupChanges
    ) {
        guard let summary else { return }  // no instance, no rows
        changes.addNew(day: summary.firstDay, scope: RollupChanges.allScope, sign)
        changes.addNew(day: summary.firstDay, scope: RollupChanges.scope(summary.region), sign)
        guard let first = days.first?.day else { return }
        let lo = range?.lowerBound ?? first
        let hi = range?.upperBound ?? days.last!.day
        let (firstWeek, lastWeek) = (monday(lo), monday(hi))
        let cohort = monday(summary.firstDay)
        let all = changes.number(ofScope: RollupChanges.allScope)
        // Each scope's latest day so far, by scope number.
        var previous: [Int?] = []
        var region: String?? = .none
        var scope = all
        var lastWeekCounted: Int? = nil
        var seenDays: [Int] = []
        for row in days where row.day >= lo - margin && row.day <= hi + margin {
            if row.region != region {
                region = row.region
                scope = changes.number(ofScope: RollupChanges.scope(row.region))
            }
            if max(all, scope) >= previous.count {
                previous += repeatElement(nil, count: max(all, scope) - previous.count + 1)
            }
            let inRange = row.day >= lo && row.day <= hi
            if inRange {
                changes.addDaily(day: row.day, scope: all, active: sign, pings: sign * row.pings)
                changes.addDaily(day: row.day, scope: scope, active: sign, pings: sign * row.pings)
            }
            // The rows in R, and the first row after R in each scope (its previous is in R or
            // before it, or it has none): the window entries R can change.
            if row.day >= lo {
                if inRange || previous[all].map({ $0 <= hi }) ?? true {
                    changes.addWindowEntries(day: row.day, previous: previous[all], scope: all, sign: sign)
                }
                if inRange || previous[scope].map({ $0 <= hi }) ?? true {
                    changes.addWindowEntries(day: row.day, previous: previous[scope], scope: scope, sign: sign)
                }
            }
            previous[all] = row.day
            previous[scope] = row.day
            let week = monday(row.day)
            if week >= firstWeek && week <= lastWeek && week != lastWeekCounted {
                changes.addRetention(cohort: cohort, week: week, sign)
                lastWeekCounted = week
            }
            if row.day >= lo - (DaysSeen.window - 1) && row.day <= hi + (DaysSeen.window - 1) {
                seenDays.append(row.day)
            }
        }
        changes.addDaysSeen(DaysSeen.contribution(ofDays: seenDays, clip: lo...(hi + DaysSeen.window - 1)), sign: sign)
    }

    /// The Monday that starts the ISO week of a day number.
    @inline(__always)
    public static func monday(_ day: Int) -> Int { UTCDay(daysSinceEpoch: day).startOfWeek.daysSinceEpoch }
}
