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

    /// Every aggregate held, emptied.
    mutating func drain() -> [DayAggregate] {
        defer { byKey.removeAll(keepingCapacity: true) }
        return Array(byKey.values)
    }
}
