import UsageStore
import UsageTrackingCore

/// Pings summed per (instance, UTC day) as an import reads them, until they are handed to the
/// store: the one aggregation both importers use.
struct DayAggregator {
    /// The instance as `InstanceID.packed` and the day: hashed and compared as three integers.
    struct Key: Hashable {
        let instance: UInt64
        let lengthAndFirstDigit: UInt32
        let day: Int

        init(_ ping: Ping) {
            let packed = ping.instanceID.packed
            instance = packed.low
            lengthAndFirstDigit = packed.high
            day = ping.day.daysSinceEpoch
        }
    }

    private var byKey: [Key: DayAggregate]

    /// Room for `expected` aggregates is made at once, so the table does not grow step by step.
    init(expected: Int = 0) {
        byKey = Dictionary(minimumCapacity: expected)
    }

    /// (instance, day) aggregates held.
    var count: Int { byKey.count }

    mutating func add(_ ping: Ping) {
        let key = Key(ping)
        if let index = byKey.index(forKey: key) {
            byKey.values[index].add(ping)
        } else {
            byKey[key] = DayAggregate(ping)
        }
    }

    /// Hands every aggregate held to `merge`, at most `transactionSize` per call, and empties.
    /// Split over several calls, they go in (instance, day) order, so each instance's days still
    /// reach the store oldest first (as one call would apply them).
    mutating func flush(
        transactionSize: Int = .max, to merge: ([DayAggregate]) async throws -> MergeCounts
    ) async throws -> MergeCounts {
        defer { byKey.removeAll(keepingCapacity: true) }
        guard byKey.count > transactionSize else {
            return byKey.isEmpty ? MergeCounts() : try await merge(Array(byKey.values))
        }
        let days = Array(byKey.values).sortedByInstanceAndDay()
        var summary = MergeCounts()
        var index = 0
        while index < days.count {
            let batch = Array(days[index..<min(index + transactionSize, days.count)])
            summary = summary + (try await merge(batch))
            index += batch.count
        }
        return summary
    }
}
