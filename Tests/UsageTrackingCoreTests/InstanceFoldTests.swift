import Testing
import UsageTrackingCore

/// The fold engine on its own: what it writes for one instance, and that its rollup changes add
/// up to what a rebuild from the rows gives (the stores' oracle tests check the rest end to end).
@Suite struct InstanceFoldTests {
    static func day(_ day: Int, region: String? = "us-west-2", pings: Int = 1) -> StoredDay {
        StoredDay(day: day, region: region, firstSeen: Int64(day) * 86_400_000, lastSeen: Int64(day) * 86_400_000 + 1, pings: pings)
    }

    /// Applies `change` to an instance holding `rows` (and its summary), reading as a store would.
    static func fold(_ change: InstanceChange, rows: [StoredDay], summary: StoredInstance?) -> (InstanceWrite, RollupChanges, reads: Int) {
        var fold = InstanceFold(change, stored: summary)
        var rollups = RollupChanges()
        var reads = 0
        while true {
            let days = fold.daysToRead.map { range in rows.filter { range.contains($0.day) } } ?? []
            reads += fold.daysToRead == nil ? 0 : 1
            if let write = fold.apply(days: days, to: &rollups) { return (write, rollups, reads) }
        }
    }

    /// The rollups of `rows` as a rebuild computes them.
    static func rebuilt(_ rows: [StoredDay], summary: StoredInstance?) -> RollupChanges {
        var rollups = RollupChanges()
        RollupContribution.add(instance: summary, days: rows, over: nil, sign: 1, to: &rollups)
        return rollups
    }

    /// `base` plus `change`, as cells.
    static func sum(_ base: RollupChanges, _ change: RollupChanges) -> Set<String> {
        var daily: [String: (Int, Int, Int)] = [:]
        for cell in base.dailyCells + change.dailyCells {
            let key = "\(cell.scope) \(cell.day)"
            let old = daily[key] ?? (0, 0, 0)
            daily[key] = (old.0 + cell.active, old.1 + cell.pings, old.2 + cell.new)
        }
        var other: [String: Int] = [:]
        for cell in base.windowCells + change.windowCells { other["w \(cell.window) \(cell.scope) \(cell.day)", default: 0] += cell.delta }
        for cell in base.retentionCells + change.retentionCells { other["r \(cell.cohort) \(cell.week)", default: 0] += cell.instances }
        for cell in base.daysSeenCells + change.daysSeenCells { other["s \(cell.seen) \(cell.day)", default: 0] += cell.delta }
        return Set(daily.filter { $0.value != (0, 0, 0) }.map { "d \($0.key) \($0.value)" } + other.filter { $0.value != 0 }.map { "\($0.key) \($0.value)" })
    }

    @Test func twoAggregatesOfOneDayInOneMergeKeepTheLargerCount() {
        let stored = [Self.day(10, pings: 2)]
        let summary = StoredInstance(firstDay: 10, lastDay: 10, region: "us-west-2")
        let (write, _, _) = Self.fold(.merge([Self.day(10, pings: 3), Self.day(10, pings: 1)]), rows: stored, summary: summary)
        #expect(write.days.map(\.row.pings) == [3])
    }

    @Test func anErasureDeletesRowsEvenOfAKeyWithNoInstance() {
        let (write, rollups, reads) = Self.fold(.forget, rows: [Self.day(3)], summary: nil)
        #expect(write.deleteDaysBefore == .max)
        #expect(reads == 0)
        #expect(rollups.dailyCells.isEmpty)
    }

    @Test func aPurgeThatMovesTheCohortReadsEveryRowAndMatchesARebuild() {
        // Days 0 (a Thursday) to 40 with gaps; the purge's cutoff leaves the first week empty.
        let rows = [0, 1, 2, 5, 12, 13, 20, 33, 40].map { Self.day($0) }
        let summary = StoredInstance(firstDay: 0, lastDay: 40, region: "us-west-2")
        let (write, change, reads) = Self.fold(.purge(before: 6), rows: rows, summary: summary)
        #expect(reads == 2, "the first read (up to the cutoff's margin) is widened to every row")
        #expect(write.deleteDaysBefore == 6)
        #expect(write.instanceRow == .update(StoredInstance(firstDay: 12, lastDay: 40, region: "us-west-2")))
        let kept = rows.filter { $0.day >= 6 }
        #expect(Self.sum(Self.rebuilt(rows, summary: summary), change) == Self.sum(Self.rebuilt(kept, summary: StoredInstance(firstDay: 12, lastDay: 40, region: "us-west-2")), RollupChanges()))
    }

    @Test(arguments: [-30, -3, 27, 28, 29, 41, 45, 70])
    func aPingOnAnyDayAddsUpToARebuild(_ newDay: Int) {
        // Rows around day 40 in two regions, one day of no region; a ping lands on `newDay`, before
        // the first day (the cohort moves), between rows, or after the last.
        let rows = [0, 14, 28, 40, 41, 55].map { Self.day($0, region: $0 == 41 ? nil : ($0 < 30 ? "eu-west-1" : "us-west-2")) }
        let summary = StoredInstance(firstDay: 0, lastDay: 55, region: "us-west-2")
        let ping = StoredDay(ping: newDay, region: "cn-north-1", at: Int64(newDay) * 86_400_000 + 5)
        let (write, change, _) = Self.fold(.pings([ping]), rows: rows, summary: summary)
        var after = rows
        if let index = after.firstIndex(where: { $0.day == newDay }) {
            after[index].pings += 1
            after[index].region = after[index].region ?? "cn-north-1"
        } else {
            after.append(ping)
            after.sort { $0.day < $1.day }
        }
        let newSummary = StoredInstance(
            firstDay: min(0, newDay), lastDay: max(55, newDay), region: newDay >= 55 ? "cn-north-1" : "us-west-2"
        )
        #expect(write.days.map(\.row.day) == [newDay])
        #expect(Self.sum(Self.rebuilt(rows, summary: summary), change) == Self.sum(Self.rebuilt(after, summary: newSummary), RollupChanges()))
    }
}
