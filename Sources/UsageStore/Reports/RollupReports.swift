import UsageTrackingCore

/// Every report, assembled from the rollup rows of a ``RollupReader``: the one place where
/// ranges are defaulted, windows summed, days without activity filled in and cohorts laid out,
/// for every store.
struct RollupReports {
    let reader: any RollupReader

    /// The requested days, defaulting to the first and last day with activity in `scope`; `nil`
    /// when nothing is stored (and no range was given) or the range is empty.
    func range(scope: String, from: UTCDay?, to: UTCDay?) async throws -> ClosedRange<Int>? {
        if let from, let to { return from <= to ? from.daysSinceEpoch...to.daysSinceEpoch : nil }
        guard let stored = try await reader.activeDays(scope: scope) else { return nil }
        let start = from?.daysSinceEpoch ?? stored.lowerBound
        let end = to?.daysSinceEpoch ?? stored.upperBound
        return start <= end ? start...end : nil
    }

    func dailyActivity(from: UTCDay?, to: UTCDay?, window: Int, region: Region?) async throws -> [DailyActivity] {
        let scope = region?.code ?? RollupChanges.allScope
        guard let days = try await range(scope: scope, from: from, to: to) else { return [] }
        let cells = Dictionary(uniqueKeysWithValues: try await reader.dailyCells(scope: scope, days: days).map { ($0.day, $0) })
        let actives: [Int]
        if window == 1 {
            actives = days.map { cells[$0]?.active ?? 0 }
        } else {
            let (before, entries) = try await reader.windowCells(window: window, scope: scope, days: days)
            actives = WindowActives.actives(before: before[scope] ?? 0, entries: entries.map { ($0.day, $0.delta) }, days: days)
        }
        return zip(days, actives).map { day, active in
            DailyActivity(day: UTCDay(daysSinceEpoch: day), active: active, new: cells[day]?.new ?? 0, pings: cells[day]?.pings ?? 0)
        }
    }

    func newInstances(from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        let scope = region?.code ?? RollupChanges.allScope
        guard let days = try await range(scope: scope, from: from, to: to) else { return [] }
        let cells = Dictionary(uniqueKeysWithValues: try await reader.dailyCells(scope: scope, days: days).map { ($0.day, $0.new) })
        return days.map { DayCount(day: UTCDay(daysSinceEpoch: $0), count: cells[$0] ?? 0) }
    }

    func churned(after: Int, from: UTCDay?, to: UTCDay?, region: Region?) async throws -> [DayCount] {
        // "Not since" is known only up to the last day anything was stored.
        guard let stored = try await reader.activeDays(scope: RollupChanges.allScope) else { return [] }
        let start = from?.daysSinceEpoch ?? stored.lowerBound + after
        let end = min(to?.daysSinceEpoch ?? stored.upperBound, stored.upperBound)
        guard start <= end else { return [] }
        let counts = try await reader.instancesByLastDay(days: (start - after)...(end - after), region: region?.code)
        return (start...end).map { DayCount(day: UTCDay(daysSinceEpoch: $0), count: counts[$0 - after] ?? 0) }
    }

    func regions(from: UTCDay?, to: UTCDay?) async throws -> RegionsReport {
        guard let days = try await range(scope: RollupChanges.allScope, from: from, to: to) else {
            return RegionsReport(from: from, to: to, regions: [])
        }
        let end = days.upperBound
        var totals: [String: (pings: Int, new: Int)] = [:]
        var lastDay: [String: Int] = [:]
        for cell in try await reader.dailyCells(scope: nil, days: days) {
            totals[cell.scope, default: (0, 0)].pings += cell.pings
            totals[cell.scope, default: (0, 0)].new += cell.new
            if cell.day == end { lastDay[cell.scope] = cell.active }
        }
        var windows: [Int: [String: Int]] = [:]
        for window in WindowActives.windows {
            let (before, cells) = try await reader.windowCells(window: window, scope: nil, days: end...end)
            windows[window] = cells.reduce(into: before) { $0[$1.scope, default: 0] += $1.delta }
        }
        var rows: [RegionActivity] = []
        for scope in try await reader.regionalScopes() {
            let row = RegionActivity(
                region: scope, active1d: lastDay[scope] ?? 0, active7d: windows[7]?[scope] ?? 0, active28d: windows[28]?[scope] ?? 0,
                new: totals[scope]?.new ?? 0, pings: totals[scope]?.pings ?? 0
            )
            if row.active28d > 0 || row.new > 0 || row.pings > 0 { rows.append(row) }
        }
        rows.sort { ($0.active28d, $1.region) > ($1.active28d, $0.region) }
        return RegionsReport(from: UTCDay(daysSinceEpoch: days.lowerBound), to: UTCDay(daysSinceEpoch: end), regions: rows)
    }

    func retention(from: UTCDay?, to: UTCDay?) async throws -> [RetentionCohort] {
        guard let stored = try await reader.activeDays(scope: RollupChanges.allScope) else { return [] }
        let start = (from ?? UTCDay(daysSinceEpoch: stored.lowerBound)).startOfWeek
        let end = (to ?? UTCDay(daysSinceEpoch: stored.upperBound)).startOfWeek
        let lastWeek = UTCDay(daysSinceEpoch: stored.upperBound).startOfWeek
        guard start <= end else { return [] }
        var cells: [Int: [Int: Int]] = [:]
        for cell in try await reader.retentionCells(cohorts: start.daysSinceEpoch...end.daysSinceEpoch) {
            cells[cell.cohort, default: [:]][cell.week] = cell.instances
        }
        return stride(from: start, through: end, by: 7).compactMap { cohort in
            guard let weeks = cells[cohort.daysSinceEpoch], let size = weeks[cohort.daysSinceEpoch] else { return nil }
            let active = stride(from: cohort, through: lastWeek, by: 7).map { weeks[$0.daysSinceEpoch] ?? 0 }
            return RetentionCohort(week: cohort, instances: size, active: active)
        }
    }

    func daysSeen(from: UTCDay?, to: UTCDay?) async throws -> [DaysSeenCounts] {
        guard let days = try await range(scope: RollupChanges.allScope, from: from, to: to) else { return [] }
        let (before, cells) = try await reader.daysSeenCells(days: days)
        // What came before the range, summed, as if on the day before it; then the range.
        let entries = before.map { (seen: $0.key, day: days.lowerBound - 1, delta: $0.value) }
            + cells.sorted { $0.day < $1.day }.map { (seen: $0.seen, day: $0.day, delta: $0.delta) }
        return DaysSeenCounts.prefixSums(entries, from: UTCDay(daysSinceEpoch: days.lowerBound), to: UTCDay(daysSinceEpoch: days.upperBound))
    }
}
