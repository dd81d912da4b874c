/// The changes of a batch, one per instance, in the order of the stored key (as SQLite and
/// PostgreSQL's `COLLATE "C"` compare text: byte by byte), so that a store writes each B-tree page
/// once and concurrent writers lock rows in one order.
public struct InstanceChanges: Sendable {
    public private(set) var changes: [(key: String, change: InstanceChange)]

    /// Live pings (stored keys), in the order received.
    public init(pings: [(key: String, ping: StoredDay)]) {
        var byKey: [String: [StoredDay]] = [:]
        for (key, ping) in pings { byKey[key, default: []].append(ping) }
        changes = Self.inKeyOrder(byKey).map { ($0.key, .pings($0.value)) }
    }

    /// Imported aggregates (stored keys), at most one per (instance, day): each instance's oldest first.
    public init(merging aggregates: [(key: String, day: StoredDay)]) {
        var byKey: [String: [StoredDay]] = [:]
        for (key, day) in aggregates { byKey[key, default: []].append(day) }
        changes = Self.inKeyOrder(byKey).map { ($0.key, .merge($0.value.sorted { $0.day < $1.day })) }
    }

    /// Imported aggregates, each instance stored under `key(instance)`.
    public init(merging aggregates: [DayAggregate], key: (InstanceID) -> String) {
        self.init(merging: aggregates.map { aggregate in
            (key: key(aggregate.instanceID), day: StoredDay(
                day: aggregate.day.daysSinceEpoch, region: aggregate.region?.code,
                firstSeen: aggregate.firstSeenMilliseconds, lastSeen: aggregate.lastSeenMilliseconds, pings: aggregate.pings
            ))
        })
    }

    /// Imported aggregates each counted once (an import's manifest makes sure of it): their pings
    /// add to the stored counts, as live pings do.
    public init(adding aggregates: [DayAggregate], key: (InstanceID) -> String) {
        var byKey: [String: [StoredDay]] = [:]
        for aggregate in aggregates {
            byKey[key(aggregate.instanceID), default: []].append(StoredDay(
                day: aggregate.day.daysSinceEpoch, region: aggregate.region?.code,
                firstSeen: aggregate.firstSeenMilliseconds, lastSeen: aggregate.lastSeenMilliseconds, pings: aggregate.pings
            ))
        }
        changes = Self.inKeyOrder(byKey).map { ($0.key, .pings($0.value.sorted { $0.day < $1.day })) }
    }

    /// The same change for each of `keys`.
    public init(_ change: InstanceChange, of keys: [String]) {
        changes = Self.sorted(Array(Set(keys))).map { ($0, change) }
    }

    /// The keys, in order.
    public var keys: [String] { changes.map(\.key) }

    static func inKeyOrder(_ byKey: [String: [StoredDay]]) -> [(key: String, value: [StoredDay])] {
        sorted(Array(byKey.keys)).map { ($0, byKey[$0]!) }
    }

    /// `keys` in byte order: compared by their first 24 bytes read as three big-endian integers
    /// (the whole of an instance ID), and as text only when those are equal.
    public static func sorted(_ keys: [String]) -> [String] {
        typealias Prefix = (UInt64, UInt64, UInt64)
        func prefix(_ text: String) -> Prefix {
            var words: Prefix = (0, 0, 0)
            var utf8 = text
            utf8.withUTF8 { bytes in
                for (index, byte) in bytes.prefix(24).enumerated() {
                    let shift = UInt64(56 - 8 * (index % 8))
                    switch index / 8 {
                    case 0: words.0 |= UInt64(byte) << shift
                    case 1: words.1 |= UInt64(byte) << shift
                    default: words.2 |= UInt64(byte) << shift
                    }
                }
            }
            return words
        }
        return keys.map { (prefix: prefix($0), key: $0) }
            .sorted { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                return Array(a.key.utf8).lexicographicallyPrecedes(Array(b.key.utf8))
            }
            .map(\.key)
    }
}
