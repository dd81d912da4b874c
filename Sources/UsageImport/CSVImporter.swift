import UsageStore
import UsageTrackingCore

/// `import-csv`: pings with their times (`time,instance_id,region`), validated like live pings;
/// each file is an object of the import manifest (``ImportManifest``), read once, its pings
/// counted once, so importing the same file twice changes nothing and two files add up.
public struct CSVImporter {
    public struct Tally: Sendable, Hashable {
        public var lines = 0
        public var pings = 0
        public var rejected = 0
        /// The first few rejected lines: number and reason.
        public var firstRejections: [String] = []
        public var merge = MergeCounts()
        /// The manifest held the file as it is: not read.
        public var alreadyImported = false
        /// It grew since it was imported: read from where it grew (`--reimport-changed`).
        public var grown = false

        /// Counts a rejected line in, and keeps why when it is one of the first few.
        mutating func reject(line: Int, _ reason: String) {
            rejected += 1
            if firstRejections.count < 5 { firstRejections.append("line \(line): \(reason)") }
        }
    }

    let write: (ImportBatch) async throws -> MergeCounts
    let manifest: ImportManifest

    public init(manifest: ImportManifest = .none, write: @escaping (ImportBatch) async throws -> MergeCounts) {
        self.write = write
        self.manifest = manifest
    }

    /// Imports each file, which must be a regular file (a device or a named pipe is an
    /// `ImportError` naming it), and returns what became of each, in order; a line longer than
    /// `LineReader.maximumLineLength` is rejected. Each file is written in one transaction with
    /// its manifest record (or, replacing imports before the manifest, all of them at the end).
    public func importFiles(_ paths: [String]) async throws -> [(path: String, tally: Tally)] {
        for path in paths {
            if let kind = RegularFile.kind(of: path, followLink: true), kind != .regular {
                throw ImportError("\(path) is not a regular file: it is \(kind.description)")
            }
        }
        let sources = paths.map { ImportSource(path: $0, openPath: $0, name: $0, given: true) }
        var skipped: [String] = []
        var alreadyImported = 0
        var grown: [String] = []
        let plan = try await manifest.plan(sources, skipped: &skipped, tally: &alreadyImported, grown: &grown)
        let planned = Dictionary(plan.map { ($0.source.path, $0) }, uniquingKeysWith: { first, _ in first })
        var batch = ImportBatcher(write: write, batchSize: 0, replacingUnrecorded: manifest.replacingUnrecorded)
        var results: [(path: String, tally: Tally)] = []
        for path in paths {
            var tally = Tally()
            guard let object = planned[path] else {
                tally.alreadyImported = true
                results.append((path, tally))
                continue
            }
            tally.grown = grown.contains(object.source.name)
            try read(object, into: &batch.aggregates, tally: &tally)
            let before = batch.counts
            try await batch.finished(object.record)
            tally.merge = MergeCounts(
                inserted: batch.counts.inserted - before.inserted, updated: batch.counts.updated - before.updated,
                unchanged: batch.counts.unchanged - before.unchanged
            )
            results.append((path, tally))
        }
        let before = batch.counts
        try await batch.finish()
        if let last = results.indices.last {
            // Replacing imports before the manifest, every file is written at the end.
            results[last].tally.merge = results[last].tally.merge + MergeCounts(
                inserted: batch.counts.inserted - before.inserted, updated: batch.counts.updated - before.updated,
                unchanged: batch.counts.unchanged - before.unchanged
            )
        }
        return results
    }

    /// Reads one file's lines into `aggregates` (from where it grew, for a grown one: no header there).
    func read(_ object: ImportManifest.Planned, into aggregates: inout DayAggregator, tally summary: inout Tally) throws {
        let reader = LineReader(file: object.file, from: object.offset)
        var lineNumber = 0
        if object.offset == 0 {
            guard case .text(let header) = try reader.nextLine(), String(decoding: header, as: UTF8.self) == PingCSV.header else {
                throw ImportError("\(object.source.path) does not start with the header \(PingCSV.header)")
            }
            lineNumber = 1
        }
        while let next = try reader.nextLine() {
            lineNumber += 1
            switch next {
            case .tooLong(let length):
                summary.lines += 1
                summary.reject(line: lineNumber, "longer than \(LineReader.maximumLineLength >> 10) KiB (\(length) bytes); skipped")
            case .text(let line):
                if line.isEmpty { continue }
                summary.lines += 1
                do {
                    let ping = try PingCSV.ping(String(decoding: line, as: UTF8.self))
                    summary.pings += 1
                    aggregates.add(ping)
                } catch {
                    summary.reject(line: lineNumber, error.detail)
                }
            }
        }
    }
}
