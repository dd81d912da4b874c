import UsageTrackingCore

/// What a purge removed.
public struct PurgeResult: Hashable, Sendable {
    /// Days before this one were removed.
    public let cutoff: UTCDay
    public let dayRows: Int
    public let instances: Int

    public init(cutoff: UTCDay, dayRows: Int, instances: Int) {
        self.cutoff = cutoff
        self.dayRows = dayRows
        self.instances = instances
    }
}
