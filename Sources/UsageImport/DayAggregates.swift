import UsageStore
import UsageTrackingCore

/// Pings summed per (instance, UTC day) as an import reads them, until they are handed to the
/// store: the one aggregation both importers use.
struct DayAggregates {
    struct Key: Hashable {
        let instanceID: InstanceID
        let day: Int
    }

    private var byKey: [Key: DayAggregate] = [:]

    /// (instance, day) aggregates held.
    var count: Int { byKey.count }

    mutating func add(_ ping: Ping) {
        let key = Key(instanceID: ping.instanceID, day: ping.day.daysSinceEpoch)
        if byKey[key] == nil {
            byKey[key] = DayAggregate(ping)
        } else {
            byKey[key]!.add(ping)
        }
    }

    /// Hands every aggregate held to `merge`, at most `transactionSize` per call, and empties.
    /// Split over several calls, they go in (instance, day) order, so each instance's days still
    /// reach the store oldest first (as one call would apply them).
    mutating func flush(
        transactionSize: Int = .max, to merge: ([DayAggregate]) async throws -> MergeSummary
    ) async throws -> MergeSummary {
        defer { byKey.removeAll(keepingCapacity: true) }
        guard byKey.count > transactionSize else {
            return byKey.isEmpty ? MergeSummary() : try await merge(Array(byKey.values))
        }
        let days = byKey.values.sorted { ($0.instanceID.rawValue, $0.day) < ($1.instanceID.rawValue, $1.day) }
        var summary = MergeSummary()
        var index = 0
        while index < days.count {
            let batch = Array(days[index..<min(index + transactionSize, days.count)])
            summary = summary + (try await merge(batch))
            index += batch.count
        }
        return summary
    }
}
