/// What a merge did to the (instance, day) rows: added, grown, already holding as much.
public struct MergeCounts: Hashable, Sendable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }

    public static func + (lhs: MergeCounts, rhs: MergeCounts) -> MergeCounts {
        MergeCounts(inserted: lhs.inserted + rhs.inserted, updated: lhs.updated + rhs.updated, unchanged: lhs.unchanged + rhs.unchanged)
    }
}
