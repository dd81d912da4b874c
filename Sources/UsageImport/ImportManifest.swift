import UsageStore
import UsageTrackingCore

/// A file to read: the path it is known by, the path to open (a link's target, resolved), and its
/// name in the import manifest.
struct ImportSource: Equatable {
    let path: String
    let openPath: String
    /// Its name in the manifest: relative to the folder given, or the path given.
    let name: String
    /// Named on the command line (a link there is followed) rather than found in a folder.
    let given: Bool
}

/// What an import asks of the database's manifest of imported objects (``ImportedObject``):
/// which of the objects found it has read before, as they were then.
public struct ImportManifest: Sendable {
    /// The records of the objects named.
    let known: @Sendable ([String]) async throws -> [String: ImportedObject]
    /// The rows may hold pings of imports the manifest has no record of: read every object and
    /// replace them (``ImportBatch/Counting/replacingUnrecorded``).
    let replacingUnrecorded: Bool
    /// An object that grew since it was imported is read from where it grew, instead of refused.
    let reimportChanged: Bool

    public init(
        known: @escaping @Sendable ([String]) async throws -> [String: ImportedObject], replacingUnrecorded: Bool, reimportChanged: Bool
    ) {
        self.known = known
        self.replacingUnrecorded = replacingUnrecorded
        self.reimportChanged = reimportChanged
    }

    /// No manifest (a dry run): every object is read.
    public static let none = ImportManifest(known: { _ in [:] }, replacingUnrecorded: false, reimportChanged: false)

    /// An object to read: its open file, from where, and its record for the manifest.
    struct Planned {
        let source: ImportSource
        let file: RegularFile
        let offset: Int
        let record: ImportedObject
    }

    /// The objects to read of `sources`: those the manifest does not hold as they are now. An
    /// object held with the same size and modification time is skipped without being read; one
    /// whose size, head or tail differ changed since it was imported: refused, all of them named,
    /// before anything is read, unless ``reimportChanged`` and it only grew.
    func plan(_ sources: [ImportSource], skipped: inout [String], tally alreadyImported: inout Int, grown: inout [String]) async throws -> [Planned] {
        let records = try await known(sources.map(\.name))
        var plan: [Planned] = []
        var changed: [String] = []
        for source in sources {
            guard let file = try S3LogImporter.open(source, skipped: &skipped) else { continue }
            guard let old = records[source.name] else {
                plan.append(Planned(source: source, file: file, offset: 0, record: try ObjectFingerprint.of(file, name: source.name)))
                continue
            }
            let (size, modified) = try ObjectFingerprint.status(file)
            if size == old.size && modified == old.modified {
                alreadyImported += 1
                continue
            }
            let now = try ObjectFingerprint.of(file, name: source.name)
            if now.isUnchanged(as: old) {
                alreadyImported += 1
                continue
            }
            guard reimportChanged else {
                changed.append("\(source.name) (\(old.size) bytes when imported, \(now.size) now)")
                continue
            }
            guard !source.path.hasSuffix(".gz"), let offset = try ObjectFingerprint.growth(of: file, from: old, now: now) else {
                changed.append("\(source.name) (rewritten, not grown: its pings then and now cannot be told apart)")
                continue
            }
            grown.append(source.name)
            plan.append(Planned(source: source, file: file, offset: offset, record: now))
        }
        if !changed.isEmpty {
            throw ImportError(
                "\(changed.count) imported objects changed since they were imported, so nothing was imported: \(changed.prefix(5).joined(separator: ", "))\(changed.count > 5 ? ", …" : ""). "
                    + (reimportChanged
                        ? "A rewritten object cannot be counted again without counting its pings twice: forget the instances it held, or import it under another name."
                        : "Pass --reimport-changed to count what an object that only grew gained (a download the next sync finished).")
            )
        }
        return plan
    }
}

/// Gathers an import's aggregates and writes them with the objects they came from: a batch is
/// whole objects, so each object's pings are counted once, with its manifest record, or not at
/// all (a killed import leaves the objects before it imported, and the next run reads the rest).
struct ImportBatcher {
    let write: (ImportBatch) async throws -> MergeCounts
    let batchSize: Int
    /// Replacing the pings of imports before the manifest: every aggregate of the whole import is
    /// summed first (the larger of the stored and imported counts is kept, so a day's parts must
    /// add up before), and written at the end.
    let replacingUnrecorded: Bool
    var aggregates: DayAggregator
    var objects: [ImportedObject] = []

    init(write: @escaping (ImportBatch) async throws -> MergeCounts, batchSize: Int, replacingUnrecorded: Bool) {
        self.write = write
        self.batchSize = batchSize
        self.replacingUnrecorded = replacingUnrecorded
        self.aggregates = DayAggregator(expected: min(batchSize, 1 << 20))
    }

    /// What the batches written so far did.
    var counts = MergeCounts()
    var aggregated = 0
    var batches = 0

    /// Notes that `object` has been read whole; writes the batch when it is full.
    mutating func finished(_ object: ImportedObject) async throws {
        objects.append(object)
        if !replacingUnrecorded && aggregates.count >= batchSize {
            try await flush()
        }
    }

    /// Writes what is left.
    mutating func finish() async throws {
        if !objects.isEmpty || aggregates.count > 0 {
            try await flush()
        }
    }

    mutating func flush() async throws {
        aggregated += aggregates.count
        let days = aggregates.drain()
        if replacingUnrecorded {
            // In key order, 50,000 (instance, day) rows a transaction; the objects, and the end of
            // the replacement, with the last. A run killed before it replaces again.
            let sorted = days.sortedByInstanceAndDay()
            var start = 0
            repeat {
                let end = min(start + 50_000, sorted.count)
                let final = end == sorted.count
                counts = counts + (try await write(ImportBatch(
                    days: Array(sorted[start..<end]), objects: final ? objects : [], counting: .replacingUnrecorded, finishesUnrecorded: final
                )))
                batches += 1
                start = end
            } while start < sorted.count
        } else {
            counts = counts + (try await write(ImportBatch(days: days, objects: objects)))
            batches += 1
        }
        objects.removeAll()
    }
}
