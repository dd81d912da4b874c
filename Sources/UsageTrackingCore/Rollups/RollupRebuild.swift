/// Every rollup recomputed from the stored rows: each instance's whole contribution
/// (``RollupContribution``), its day rows given in key order, oldest first.
public struct RollupRebuild {
    public private(set) var rollups = RollupChanges()
    var key: String?
    var summary: StoredInstance?
    var days: [StoredDay] = []

    public init() {}

    /// Adds the next stored row: `day` of the instance `key`, whose summary is `summary`.
    public mutating func add(_ day: StoredDay, of key: String, instance summary: @autoclosure () -> StoredInstance) {
        if key != self.key {
            finishInstance()
            self.key = key
            self.summary = summary()
        }
        days.append(day)
    }

    /// The rollups of every row added.
    public mutating func finish() -> RollupChanges {
        finishInstance()
        return rollups
    }

    mutating func finishInstance() {
        RollupContribution.add(instance: summary, days: days, over: nil, sign: 1, to: &rollups)
        (key, summary) = (nil, nil)
        days.removeAll(keepingCapacity: true)
    }
}
