import Foundation
import NIOCore
import UsageStore
import UsageTrackingCore

/// `import-s3-logs`: loads Amazon S3 server access logs of the original pipeline's buckets.
///
/// Reads files, folders (recursively) and `.gz` files as streams, a chunk at a time; keeps from
/// each record only the ping's time, instance ID and region; merges pings per (instance, UTC day)
/// in large transactions, idempotently. Malformed lines are counted, never fatal, and so is a line
/// longer than `LineReader.maximumLineLength`, which is never held whole.
///
/// Only regular files are read: a path given that is anything else (a device, a named pipe) is an
/// `ImportError` naming it, before anything is read; in a folder, such a file, and a symbolic link
/// whose target is outside the folder, is skipped and listed in the summary.
public struct S3LogImporter {
    public struct Tally: Sendable, Hashable {
        public var files = 0
        public var bytes = 0
        public var records = 0
        public var pings = 0
        public var skipped: [String: Int] = [:]
        public var malformed = 0
        /// `file:line` of the first malformed lines.
        public var firstMalformed: [String] = []
        /// Files of the folders given that were not read, each with why: `path: reason`.
        public var skippedFiles: [String] = []
        /// `.gz` files that end before their compressed data does, each with what was read of it.
        public var truncated: [String] = []
        public var merge = MergeCounts()
        /// Objects skipped because the manifest holds them as they are now.
        public var alreadyImported = 0
        /// Objects that grew since they were imported, read from where they grew (`--reimport-changed`).
        public var grown: [String] = []
        /// The import replaced the pings of imports the manifest had no record of.
        public var replacedUnrecorded = false
        /// (instance, day) aggregates handed to the store.
        public var aggregates = 0
        /// Batches handed to the store.
        public var batches = 0
        /// Nothing was stored: the logs were only read, parsed and validated.
        public var dryRun = false

        public init() {}

        /// The printed summary.
        public var text: String {
            var lines = [
                "files read:        \(files)",
                "bytes read:        \(bytes)",
                "records read:      \(records)",
                "pings found:       \(pings)",
                dryRun
                    ? "(instance, day) rows: \(aggregates) found"
                        + (batches > 1 ? " in \(batches) batches (a row whose records fall in two batches is counted in each)" : "")
                        + "; dry run, nothing stored"
                    : "(instance, day) rows: \(merge.inserted) new, \(merge.updated) grown, \(merge.unchanged) unchanged",
            ]
            for reason in skipped.keys.sorted() {
                lines.append("skipped, \(reason): \(skipped[reason]!)")
            }
            for file in skippedFiles {
                lines.append("skipped file:      \(file)")
            }
            for file in truncated {
                lines.append("truncated file:    \(file)")
            }
            lines.append("malformed lines:   \(malformed)" + (firstMalformed.isEmpty ? "" : " (first: \(firstMalformed.joined(separator: ", ")))"))
            if !dryRun {
                lines.insert("files skipped:     \(alreadyImported) already imported", at: 1)
            }
            for name in grown {
                lines.append("grown file:        \(name) (read from where it grew)")
            }
            if replacedUnrecorded {
                lines.append("replaced:          the pings of imports before the manifest, by this reading of every object")
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// Writes one batch (whole objects and their manifest records) in one transaction.
    let write: (ImportBatch) async throws -> MergeCounts
    let manifest: ImportManifest
    /// Called now and then with the running summary (for a progress line on a terminal).
    let progress: (Tally) -> Void
    /// How many (instance, day) aggregates are held, at least, before the objects read so far are
    /// written in one transaction (an object's own are always written together: they are counted
    /// once, with its manifest record, or not at all).
    let batchSize: Int
    /// Bytes read from a file at a time; a full batch is merged between two blocks. (A block of
    /// a `.gz` holds several times its size of log: 1 MiB of it, some ten to twenty thousand records.)
    let blockSize: Int

    public init(
        batchSize: Int = 200_000, blockSize: Int = 1 << 20, manifest: ImportManifest = .none,
        write: @escaping (ImportBatch) async throws -> MergeCounts, progress: @escaping (Tally) -> Void = { _ in }
    ) {
        self.write = write
        self.manifest = manifest
        self.batchSize = batchSize
        self.blockSize = max(1, blockSize)
        self.progress = progress
    }

    /// Imports every path: a file, a `.gz` file, or a folder of them.
    ///
    /// Parsing runs in a child task, one block behind the reading: while one block is parsed,
    /// the next is read and the one before is summed (and, when a batch is full, merged into the
    /// store), so the work is spread over two cores.
    public func importPaths(_ paths: [String]) async throws -> Tally {
        var summary = Tally()
        let (sources, skippedFiles) = try Self.files(paths)
        summary.skippedFiles = skippedFiles
        let plan = try await manifest.plan(sources, skipped: &summary.skippedFiles, tally: &summary.alreadyImported, grown: &summary.grown)
        var batch = ImportBatcher(write: write, batchSize: batchSize, replacingUnrecorded: manifest.replacingUnrecorded)
        func add(_ block: S3LogBlockParser.Block) {
            summary.add(block)
            for ping in block.pings { batch.aggregates.add(ping) }
            if summary.records % 100_000 < block.records { progress(summary) }
        }
        // Two buffers take turns: one being parsed, one being filled.
        var buffers = [ByteBufferAllocator().buffer(capacity: blockSize), ByteBufferAllocator().buffer(capacity: blockSize)]
        for object in plan {
            let file = LogFile(file: object.file, from: object.offset)
            summary.files += 1
            let path = object.source.path
            let parser = try S3LogBlockParser(name: (path as NSString).lastPathComponent, gzipped: path.hasSuffix(".gz"))
            try await withThrowingTaskGroup(of: (S3LogBlockParser.Block, ByteBuffer).self) { group in
                /// Reads the next block into a free buffer; `nil` (the buffer put back) at the end.
                func readBlock() throws -> ByteBuffer? {
                    var buffer = buffers.removeLast()
                    guard try file.read(into: &buffer, count: blockSize) > 0 else {
                        buffers.append(buffer)
                        return nil
                    }
                    return buffer
                }
                do {  // (a scope of its own: no reference to the buffer outlives the parse)
                    guard let first = try readBlock() else { return }
                    group.addTask { (parser.parse(first), first) }
                }
                while true {
                    let next = try readBlock()
                    let (block, parsed) = try await group.next()!
                    buffers.append(parsed)
                    let following = block.unreadable == nil ? next : nil
                    if let following {
                        group.addTask { (parser.parse(following), following) }
                    } else if let next {
                        buffers.append(next)
                    }
                    add(block)
                    if following == nil { return }
                }
            }
            add(parser.finish())
            progress(summary)
            // The object is read: written with the objects before it once they make a batch.
            try await batch.finished(object.record)
        }
        try await batch.finish()
        (summary.merge, summary.aggregates, summary.batches) = (batch.counts, batch.aggregated, batch.batches)
        summary.replacedUnrecorded = manifest.replacingUnrecorded && !plan.isEmpty
        return summary
    }

    /// Refuses paths that cannot be imported (missing, a device, a named pipe), as
    /// ``importPaths(_:)`` would, without opening anything.
    public static func check(_ paths: [String]) throws(ImportError) {
        _ = try files(paths)
    }

    /// Opens `source`; a file of a folder that cannot be opened as a regular file (replaced by a
    /// pipe since the folder was read, say) is added to `skipped` instead, and `nil` returned.
    static func open(_ source: Source, skipped: inout [String]) throws(ImportError) -> RegularFile? {
        do {
            return try RegularFile(path: source.openPath, followLink: source.given)
        } catch {
            if source.given { throw error }
            skipped.append("\(source.path): \(error.description)")
            return nil
        }
    }

    typealias Source = ImportSource

    /// Files to read, in a stable order, and the files of the folders skipped, with why.
    ///
    /// A path given must be a regular file (a link to one is followed) or a folder, else this
    /// throws, naming it. Folders are walked recursively, hidden files skipped; of what they hold,
    /// only regular files are read, and symbolic links to a regular file inside the folder given;
    /// a named pipe, a device, a socket, a link out of the folder (or to a folder) is listed in
    /// `skipped` and never opened. Nothing here opens a file, so nothing here can block.
    static func files(_ paths: [String]) throws(ImportError) -> (files: [Source], skipped: [String]) {
        var result: [Source] = []
        var skipped: [String] = []
        for path in paths {
            guard let kind = RegularFile.kind(of: path, followLink: true) else {
                let failure = errno
                if RegularFile.kind(of: path, followLink: false) == .symbolicLink {
                    throw ImportError("\(path) is a broken symbolic link")
                }
                throw failure == ENOENT ? ImportError("\(path) does not exist") : ImportError("cannot read \(path): \(String(cString: strerror(failure)))")
            }
            switch kind {
            case .regular:
                result.append(Source(path: path, openPath: path, name: path, given: true))
            case .folder:
                guard let root = realPath(path) else { throw ImportError("cannot read the folder \(path)") }
                var found: [Source] = []
                var notRead: [String] = []
                try walk(path, root: root, given: path, found: &found, skipped: &notRead)
                result += found.sorted { $0.path < $1.path }
                skipped += notRead.sorted()
            default:
                throw ImportError("\(path) is not a regular file or a folder: it is \(kind.description)")
            }
        }
        return (result, skipped)
    }

    /// Adds the files of `folder` (inside the folder `given`, whose real path is `root`) to `found`.
    private static func walk(_ folder: String, root: String, given: String, found: inout [Source], skipped: inout [String]) throws(ImportError) {
        func relative(_ full: String) -> String {
            let prefix = given.hasSuffix("/") ? given : given + "/"
            return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw ImportError("cannot read the folder \(folder)")
        }
        for name in names {
            let full = (folder as NSString).appendingPathComponent(name)
            guard let kind = RegularFile.kind(of: full, followLink: false) else { continue }  // gone meanwhile
            if kind == .folder {
                try walk(full, root: root, given: given, found: &found, skipped: &skipped)
                continue
            }
            if name.hasPrefix(".") { continue }
            switch kind {
            case .regular:
                found.append(Source(path: full, openPath: full, name: relative(full), given: false))
            case .symbolicLink:
                guard let target = realPath(full) else {
                    skipped.append("\(full): a broken symbolic link")
                    continue
                }
                guard target.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
                    skipped.append("\(full): a symbolic link to \(target), outside \(given)")
                    continue
                }
                let targetKind = RegularFile.kind(of: target, followLink: false) ?? .unknown
                if targetKind == .regular {
                    found.append(Source(path: full, openPath: target, name: relative(full), given: false))
                } else {
                    skipped.append("\(full): a symbolic link to \(targetKind.description), not a regular file")
                }
            default:
                skipped.append("\(full): \(kind.description), not a regular file")
            }
        }
    }

    /// `path` with every symbolic link resolved, or `nil` when it cannot be (a broken link).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension S3LogImporter.Tally {
    /// Counts one block's records in.
    mutating func add(_ block: S3LogBlockParser.Block) {
        bytes += block.bytes
        records += block.records
        pings += block.pings.count
        for (reason, count) in block.skipped {
            skipped[reason.rawValue, default: 0] += count
        }
        malformed += block.malformed
        for line in block.firstMalformed where firstMalformed.count < 5 {
            firstMalformed.append(line)
        }
        if let failure = block.unreadable {
            malformed += 1
            firstMalformed.append(failure)
        }
        if let cut = block.truncated {
            truncated.append(cut)
        }
    }
}

/// A log file read a block at a time: a regular file only (`RegularFile`), from `offset` on.
final class LogFile {
    private let file: RegularFile

    init(file: RegularFile, from offset: Int = 0) {
        self.file = file
        if offset > 0 { lseek(file.descriptor, off_t(offset), SEEK_SET) }
    }

    /// Replaces the buffer's bytes with the file's next `count` (fewer at its end); how many.
    func read(into buffer: inout ByteBuffer, count: Int) throws(ImportError) -> Int {
        buffer.clear()
        var failure: ImportError?
        let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            let (filled, error) = file.fill(UnsafeMutableRawBufferPointer(rebasing: bytes[..<min(bytes.count, count)]))
            failure = error
            return filled
        }
        if let failure { throw failure }
        return read
    }
}

/// Parses one log file's blocks in order (gunzipping a `.gz` file's), carrying a line that spans
/// two blocks over: the parsing side of `S3LogImporter.importPaths`.
///
/// It is handed from one child task to the next, never used by two at once (the importer starts
/// the next block's parse only after the previous one returned), hence `@unchecked Sendable`.
final class S3LogBlockParser: @unchecked Sendable {
    /// What one block held.
    struct Block: Sendable {
        var bytes = 0
        var records = 0
        var pings: [Ping] = []
        var skipped: [S3AccessLogRecord.SkipReason: Int] = [:]
        var malformed = 0
        /// `file:line` of the block's first few malformed lines.
        var firstMalformed: [String] = []
        /// Why the rest of the file cannot be read (a broken gzip stream).
        var unreadable: String?
        /// The `.gz` file ends before its compressed data does: what was read of it.
        var truncated: String?
    }

    private let name: String
    private let gunzip: GzipStream?
    private var parser = S3AccessLogParser()
    /// Lines are cut one byte past the bound, so that a line cut there is known to be too long;
    /// the part of a line it carries from one block to the next is bounded the same way.
    private var splitter = S3AccessLogLineSplitter(maximumLineLength: LineReader.maximumLineLength + 1)
    private var lineNumber = 0
    /// This file's records so far.
    private var records = 0

    init(name: String, gzipped: Bool) throws(ImportError) {
        self.name = name
        gunzip = gzipped ? try GzipStream() : nil
    }

    /// The records of the file's next block (the lines it completes).
    func parse(_ chunk: ByteBuffer) -> Block {
        var block = Block()
        block.bytes = chunk.readableBytes
        if let gunzip {
            let valid = chunk.withUnsafeReadableBytes { bytes in
                gunzip.decode(bytes) { splitter.consume($0) { handle($0, into: &block) } }
            }
            if !valid { block.unreadable = "\(name): not a valid gzip stream" }
        } else {
            chunk.withUnsafeReadableBytes { splitter.consume($0) { handle($0, into: &block) } }
        }
        return block
    }

    /// The last line, when the file does not end with a line break; or, when a `.gz` file ends
    /// inside its compressed data, why it is cut (the line it cut is no record).
    func finish() -> Block {
        var block = Block()
        if let gunzip, gunzip.isInsideMember {
            block.truncated = "\(name): truncated gzip stream (it ends before its compressed data does; the \(records) records before the cut are counted)"
            return block
        }
        splitter.finish { handle($0, into: &block) }
        return block
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>, into block: inout Block) {
        // Counted here: the splitter is being mutated while it calls us.
        lineNumber += 1
        if line.isEmpty { return }
        block.records += 1
        records += 1
        guard line.count <= LineReader.maximumLineLength else {
            block.malformed += 1
            if block.firstMalformed.count < 5 { block.firstMalformed.append("\(name):\(lineNumber) (longer than \(LineReader.maximumLineLength >> 10) KiB)") }
            return
        }
        switch parser.parse(line) {
        case .ping(let ping):
            block.pings.append(ping)
        case .skipped(let reason):
            block.skipped[reason, default: 0] += 1
        case .malformed:
            block.malformed += 1
            if block.firstMalformed.count < 5 { block.firstMalformed.append("\(name):\(lineNumber)") }
        }
    }
}
