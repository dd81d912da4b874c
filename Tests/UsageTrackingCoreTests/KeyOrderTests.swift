import Testing
import UsageTrackingCore

/// The order a batch's changes are written in: the stored keys as SQLite and PostgreSQL's
/// `COLLATE "C"` compare them, byte by byte.
@Suite struct KeyOrderTests {
    @Test func sortsAsTheBytesWould() {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        func id(_ digits: Int) -> String { "i-" + String((0..<digits).map { _ in hex.randomElement(using: &generator)! }) }
        // Raw IDs of both lengths, one a prefix of another, and 64-character keys (pseudonymised)
        // that share their first 24 characters and more.
        var keys = (0..<400).map { _ in id(Bool.random() ? 8 : 17) }
        keys.append(keys[0] + "000000000")
        let shared = String(repeating: "ab", count: 20)
        keys += (0..<100).map { _ in shared + String((0..<24).map { _ in hex.randomElement(using: &generator)! }) }
        keys.shuffle()
        let expected = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(InstanceChanges.sorted(keys) == expected)
    }

    @Test func eachInstanceIsOneChangeWithItsPingsInArrivalOrder() {
        let pings: [(key: String, ping: StoredDay)] = [
            ("i-0000000b", StoredDay(ping: 5, region: nil, at: 3)),
            ("i-0000000a", StoredDay(ping: 7, region: "us-west-2", at: 2)),
            ("i-0000000b", StoredDay(ping: 4, region: "eu-west-1", at: 1)),
        ]
        let changes = InstanceChanges(pings: pings).changes
        #expect(changes.map(\.key) == ["i-0000000a", "i-0000000b"])
        guard case .pings(let days) = changes[1].change else { Issue.record("not pings"); return }
        #expect(days.map(\.day) == [5, 4])
    }
}
