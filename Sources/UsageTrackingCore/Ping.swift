/// One received ping: the instance, its region when known, and when the collector received it.
public struct Ping: Hashable, Sendable {
    public let instanceID: InstanceID
    /// `nil` when the request did not say (the original distribution's GET without a bucket host).
    public let region: Region?
    /// The collector's clock at receipt, in milliseconds since the epoch.
    public let receivedAtMilliseconds: Int64

    public init(instanceID: InstanceID, region: Region?, receivedAtMilliseconds: Int64) {
        self.instanceID = instanceID
        self.region = region
        self.receivedAtMilliseconds = receivedAtMilliseconds
    }

    /// The UTC day the ping counts for.
    public var day: UTCDay { UTCDay(containingMilliseconds: receivedAtMilliseconds) }
}

/// What storing a ping did.
public struct RecordOutcome: Hashable, Sendable {
    /// True when this ping is the instance's first on its UTC day.
    public let firstToday: Bool

    public init(firstToday: Bool) {
        self.firstToday = firstToday
    }
}
