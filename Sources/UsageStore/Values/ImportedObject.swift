import UsageTrackingCore

/// A log object (a file of an import) as the database's manifest keeps it: imported once, its
/// pings counted once, whatever the imports after it (`import-s3-logs`, `import-csv`).
public struct ImportedObject: Hashable, Sendable {
    /// Its name relative to the folder given (an S3 object key when the folder is an `aws s3 sync`
    /// copy), or the path given for a file named on its own.
    public let name: String
    public let size: Int
    /// Its modification time, milliseconds since the epoch (`aws s3 sync` sets it to the object's).
    public let modified: Int64
    /// SHA-256 of its first and of its last 1,024 bytes, in hex: with the size, what tells an
    /// object that changed since it was imported.
    public let head: String
    public let tail: String

    public init(name: String, size: Int, modified: Int64, head: String, tail: String) {
        self.name = name
        self.size = size
        self.modified = modified
        self.head = head
        self.tail = tail
    }

    /// Whether `other` is the same object as read now: the same size, head and tail.
    public func isUnchanged(as other: ImportedObject) -> Bool {
        size == other.size && head == other.head && tail == other.tail
    }
}

/// One transaction of an import: aggregates of whole objects, and those objects for the manifest.
public struct ImportBatch: Sendable {
    public enum Counting: Sendable {
        /// Each (instance, day) adds the imported pings: every object is read once.
        case adding
        /// Each (instance, day) keeps the larger of its stored and imported counts: the one import
        /// that re-reads every object imported before the manifest existed (whose counts are in the
        /// rows already), its aggregates summed over the whole import first.
        case replacingUnrecorded
    }

    public var days: [DayAggregate]
    public var objects: [ImportedObject]
    public var counting: Counting
    /// The last batch of the import that replaced the unrecorded imports: after it, imports add.
    public var finishesUnrecorded: Bool

    public init(days: [DayAggregate], objects: [ImportedObject], counting: Counting = .adding, finishesUnrecorded: Bool = false) {
        self.days = days
        self.objects = objects
        self.counting = counting
        self.finishesUnrecorded = finishesUnrecorded
    }
}
