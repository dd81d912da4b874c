/// A change of one instance's rows, as a store's fold applies it.
public enum InstanceChange: Sendable {
    /// Live pings in the order they were received, each a ``StoredDay`` of one ping: each day's
    /// count grows by its pings.
    case pings([StoredDay])
    /// Imported per-day aggregates, at most one per day, oldest first: each day keeps the larger
    /// count, so importing the same data twice changes nothing.
    case merge([StoredDay])
    /// Every row of the instance goes (right to erasure).
    case forget
    /// The rows of days before `cutoff` go; the instance goes with its last row.
    case purge(before: Int)
}

/// What a fold writes for one instance.
public struct InstanceWrite: Sendable {
    public enum InstanceRow: Sendable, Equatable {
        case unchanged
        case insert(StoredInstance)
        case update(StoredInstance)
        case delete
    }

    public enum Outcome: Sendable {
        case inserted
        case updated
        /// Already held as much (a merge): not written.
        case unchanged
    }

    public internal(set) var instanceRow: InstanceRow = .unchanged
    /// The day rows of the change and what became of each: insert or replace those not `unchanged`.
    public internal(set) var days: [(row: StoredDay, outcome: Outcome)] = []
    /// Delete the day rows of days before this one (`Int.max`: all of them) before writing `days`.
    public internal(set) var deleteDaysBefore: Int?
}

/// Applies one ``InstanceChange`` to an instance: the rows to write, and the change to every
/// rollup (``RollupContribution`` after, minus before). Pure: the store reads the instance's
/// summary, then the day rows in ``daysToRead``, and writes what ``apply(days:to:)`` returns.
///
/// ```swift
/// var fold = InstanceFold(change, stored: summary)
/// var write: InstanceWrite?
/// repeat {
///     let days = fold.daysToRead.map { readDays(of: key, in: $0) } ?? []
///     write = fold.apply(days: days, to: &rollups)
/// } while write == nil
/// ```
public struct InstanceFold: Sendable {
    let change: InstanceChange
    let stored: StoredInstance?
    /// The days whose rows the change alters, and whose rollup rows it may change.
    var range: ClosedRange<Int>?
    /// The stored rows to read before ``apply(days:to:)``: every row with a day in it. `nil`: none.
    public private(set) var daysToRead: ClosedRange<Int>?

    /// Prepares `change` for an instance whose summary is `stored` (`nil`: none stored).
    public init(_ change: InstanceChange, stored: StoredInstance?) {
        self.change = change
        self.stored = stored
        switch change {
        case .pings(let days), .merge(let days):
            guard let first = days.first?.day else { break }
            let (low, high) = days.reduce((first, first)) { (min($0.0, $1.day), max($0.1, $1.day)) }
            var range = low...high
            if let stored, RollupContribution.monday(min(low, stored.firstDay)) != RollupContribution.monday(stored.firstDay) {
                // An earlier first week: the cohort of every row moves.
                range = low...max(high, stored.lastDay)
            }
            self.range = range
        case .forget:
            if let stored { range = stored.firstDay...stored.lastDay }
        case .purge(let cutoff):
            // Only the rows before the cutoff change, unless the cohort moves (found on reading).
            if let stored, stored.firstDay < cutoff { range = stored.firstDay...(cutoff - 1) }
        }
        daysToRead = range.flatMap(rowsToRead)
    }

    /// The stored rows the contribution over `range` needs (rows lie between the first and last day).
    func rowsToRead(for range: ClosedRange<Int>) -> ClosedRange<Int>? {
        guard let stored else { return nil }
        let context = RollupContribution.context(of: range)
        let low = max(context.lowerBound, stored.firstDay)
        let high = min(context.upperBound, stored.lastDay)
        return low <= high ? low...high : nil
    }

    /// Applies the change to `days`, the stored rows in ``daysToRead`` (ascending), and adds its
    /// change of the rollups to `changes`. Returns `nil`, changing nothing, when it needs more
    /// rows (a purge that moves the cohort): read ``daysToRead`` again and call it again.
    public mutating func apply(days: [StoredDay], to changes: inout RollupChanges) -> InstanceWrite? {
        guard var range else {
            var write = InstanceWrite()
            // An erasure deletes whatever rows carry the key, even stray ones of no instance.
            if case .forget = change { write.deleteDaysBefore = .max }
            return write
        }
        var write = InstanceWrite()
        var after: [StoredDay]
        var summary = stored
        switch change {
        case .pings(let pings):
            (after, write.days) = Self.add(pings, to: days, combine: { $0 + $1 })
            summary = Self.summary(stored, folding: pings)
        case .merge(let aggregates):
            (after, write.days) = Self.add(aggregates, to: days, combine: max)
            summary = Self.summary(stored, folding: aggregates)
        case .forget:
            after = []
            summary = nil
            write.deleteDaysBefore = .max
        case .purge(let cutoff):
            after = days.filter { $0.day >= cutoff }
            write.deleteDaysBefore = cutoff
            let first = after.first?.day
            if let stored, first.map(RollupContribution.monday) != RollupContribution.monday(stored.firstDay) {
                // The cohort moves (or the instance goes): every row counts.
                let whole = stored.firstDay...stored.lastDay
                if daysToRead != whole {
                    daysToRead = whole
                    self.range = whole
                    return nil
                }
                range = whole
            }
            summary = first.flatMap { first in stored.map { StoredInstance(firstDay: first, lastDay: $0.lastDay, region: $0.region) } }
        }
        switch (stored, summary) {
        case (nil, let summary?): write.instanceRow = .insert(summary)
        case (_?, nil): write.instanceRow = .delete
        case (let old?, let new?) where old != new: write.instanceRow = .update(new)
        default: break
        }
        RollupContribution.add(instance: stored, days: days, over: range, sign: -1, to: &changes)
        RollupContribution.add(instance: summary, days: after, over: range, sign: 1, to: &changes)
        return write
    }

    /// `stored` (ascending) with `additions` summed in: a day keeps the first region named for it
    /// and the earliest and latest times; its count combines with `combine` (additions of one day
    /// with each other first, in order, then with the stored count). Returns every row and the
    /// rows written.
    static func add(
        _ additions: [StoredDay], to stored: [StoredDay], combine: (Int, Int) -> Int
    ) -> (rows: [StoredDay], written: [(row: StoredDay, outcome: InstanceWrite.Outcome)]) {
        if additions.count == 1, stored.isEmpty {
            return (additions, [(additions[0], .inserted)])  // a new instance's one day: the most common write
        }
        var byDay: [Int: StoredDay] = [:]
        var order: [Int] = []
        for addition in additions {
            if var day = byDay[addition.day] {
                day.region = day.region ?? addition.region
                day.firstSeen = min(day.firstSeen, addition.firstSeen)
                day.lastSeen = max(day.lastSeen, addition.lastSeen)
                day.pings = combine(day.pings, addition.pings)
                byDay[addition.day] = day
            } else {
                byDay[addition.day] = addition
                order.append(addition.day)
            }
        }
        var rows = stored
        var written: [(row: StoredDay, outcome: InstanceWrite.Outcome)] = []
        for dayNumber in order.sorted() {
            let addition = byDay[dayNumber]!
            let index = rows.partitioningIndex { $0.day >= dayNumber }
            guard index < rows.endIndex, rows[index].day == dayNumber else {
                rows.insert(addition, at: index)
                written.append((addition, .inserted))
                continue
            }
            let old = rows[index]
            let new = StoredDay(
                day: dayNumber, region: old.region ?? addition.region,
                firstSeen: min(old.firstSeen, addition.firstSeen), lastSeen: max(old.lastSeen, addition.lastSeen),
                pings: combine(old.pings, addition.pings)
            )
            rows[index] = new
            written.append((new, new == old ? .unchanged : .updated))
        }
        return (rows, written)
    }

    /// The summary after `days` in the order given, as writing them one by one leaves it: the
    /// first and last day, and the region: a day at or after the last one sets it when it names
    /// one, an earlier day only fills in an unknown one.
    static func summary(_ stored: StoredInstance?, folding days: [StoredDay]) -> StoredInstance? {
        var remaining = days[...]
        guard var summary = stored ?? remaining.popFirst().map({ StoredInstance(firstDay: $0.day, lastDay: $0.day, region: $0.region) }) else {
            return stored
        }
        for row in remaining {
            summary.firstDay = min(summary.firstDay, row.day)
            if row.day >= summary.lastDay {
                summary.lastDay = row.day
                summary.region = row.region ?? summary.region
            } else {
                summary.region = summary.region ?? row.region
            }
        }
        return summary
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate false then true
    /// along the array (a binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
