import CompressNIO
import Foundation
import NIOCore
import UsageStore
import UsageTrackingCore

/// `import-s3-logs`: loads Amazon S3 server access logs of the original pipeline's buckets.
///
/// Reads files, folders (recursively) and `.gz` files as streams, a chunk at a time; keeps from
/// each record only the ping's time, instance ID and region; merges pings per (instance, UTC day)
/// in large transactions, idempotently. Malformed lines are counted, never fatal.
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
        public var merge = MergeCounts()
        /// (instance, day) aggregates handed to the store, batch by batch (a row whose records
        /// fall in two batches counts in each).
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
                    : "(instance, day) rows: \(merge.inserted) new, \(merge.updated) grown, \(merge.unchanged) already stored (duplicates)",
            ]
            for reason in skipped.keys.sorted() {
                lines.append("skipped, \(reason): \(skipped[reason]!)")
            }
            lines.append("malformed lines:   \(malformed)" + (firstMalformed.isEmpty ? "" : " (first: \(firstMalformed.joined(separator: ", ")))"))
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// Merges a batch into the store (`UsageStore.merge`, or the merge of a bulk load).
    let merge: ([DayAggregate]) async throws -> MergeCounts
    /// Called now and then with the running summary (for a progress line on a terminal).
    let progress: (Tally) -> Void
    /// How many (instance, day) aggregates are held before they are merged in one transaction.
    let batchSize: Int
    /// Bytes read from a file at a time; a full batch is merged between two blocks. (A block of
    /// a `.gz` holds several times its size of log: 1 MiB of it, some ten to twenty thousand records.)
    let blockSize: Int

    public init(
        batchSize: Int = 200_000, blockSize: Int = 1 << 20,
        merge: @escaping ([DayAggregate]) async throws -> MergeCounts, progress: @escaping (Tally) -> Void = { _ in }
    ) {
        self.merge = merge
        self.batchSize = batchSize
        self.blockSize = max(1, blockSize)
        self.progress = progress
    }

    /// Merges the aggregates held so far in one transaction, and empties them.
    func mergeBatch(_ aggregates: inout DayAggregator, into summary: inout Tally) async throws {
        summary.aggregates += aggregates.count
        summary.batches += 1
        summary.merge = summary.merge + (try await aggregates.flush(to: merge))
    }

    /// Imports every path: a file, a `.gz` file, or a folder of them.
    ///
    /// Parsing runs in a child task, one block behind the reading: while one block is parsed,
    /// the next is read and the one before is summed (and, when a batch is full, merged into the
    /// store), so the work is spread over two cores.
    public func importPaths(_ paths: [String]) async throws -> Tally {
        var summary = Tally()
        var aggregates = DayAggregator(expected: batchSize)
        func add(_ block: S3LogBlockParser.Block) async throws {
            summary.add(block)
            for ping in block.pings { aggregates.add(ping) }
            // A full batch is merged at once, also in the middle of a file: memory stays bounded
            // however large one file is.
            if aggregates.count >= batchSize {
                try await mergeBatch(&aggregates, into: &summary)
            }
            if summary.records % 100_000 < block.records { progress(summary) }
        }
        // Two buffers take turns: one being parsed, one being filled.
        var buffers = [ByteBufferAllocator().buffer(capacity: blockSize), ByteBufferAllocator().buffer(capacity: blockSize)]
        for path in try Self.files(paths) {
            summary.files += 1
            let file = try LogFile(path: path)
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
                    try await add(block)
                    if following == nil { return }
                }
            }
            try await add(parser.finish())
            progress(summary)
        }
        if aggregates.count > 0 {
            try await mergeBatch(&aggregates, into: &summary)
        }
        return summary
    }

    /// Files to read, in a stable order: folders are walked recursively, hidden files skipped.
    static func files(_ paths: [String]) throws(ImportError) -> [String] {
        var result: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImportError("\(path) does not exist")
            }
            if isDirectory.boolValue {
                guard let walker = manager.enumerator(atPath: path) else { throw ImportError("cannot read the folder \(path)") }
                var found: [String] = []
                while let relative = walker.nextObject() as? String {
                    let full = (path as NSString).appendingPathComponent(relative)
                    var isFolder: ObjCBool = false
                    if !(relative as NSString).lastPathComponent.hasPrefix("."),
                       manager.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue {
                        found.append(full)
                    }
                }
                result += found.sorted()
            } else {
                result.append(path)
            }
        }
        return result
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
    }
}

/// A log file read a block at a time.
final class LogFile {
    private let file: UnsafeMutablePointer<FILE>
    private let path: String

    init(path: String) throws(ImportError) {
        guard let file = fopen(path, "rb") else {
            throw ImportError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.path = path
    }

    deinit {
        fclose(file)
    }

    /// Replaces the buffer's bytes with the file's next `count` (fewer at its end); how many.
    func read(into buffer: inout ByteBuffer, count: Int) throws(ImportError) -> Int {
        buffer.clear()
        let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            fread(bytes.baseAddress, 1, min(bytes.count, count), file)
        }
        if read == 0 && ferror(file) != 0 {
            throw ImportError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
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
    }

    private let name: String
    private let decompressor: (any NIODecompressor)?
    private var parser = S3AccessLogParser()
    private var splitter = S3AccessLogLineSplitter()
    private var lineNumber = 0

    init(name: String, gzipped: Bool) throws {
        self.name = name
        if gzipped {
            let decompressor = CompressionAlgorithm.gzip().decompressor
            decompressor.window = ByteBufferAllocator().buffer(capacity: 1 << 20)
            try decompressor.startStream()
            self.decompressor = decompressor
        } else {
            decompressor = nil
        }
    }

    deinit {
        if let decompressor { try? decompressor.finishStream() }
    }

    /// The records of the file's next block (the lines it completes).
    func parse(_ chunk: ByteBuffer) -> Block {
        var block = Block()
        block.bytes = chunk.readableBytes
        var chunk = chunk
        if let decompressor {
            do {
                try chunk.decompressStream(with: decompressor) { window in
                    window.withUnsafeReadableBytes { splitter.consume($0) { handle($0, into: &block) } }
                }
            } catch {
                block.unreadable = "\(name): not a valid gzip stream"
            }
        } else {
            chunk.withUnsafeReadableBytes { splitter.consume($0) { handle($0, into: &block) } }
        }
        return block
    }

    /// The last line, when the file does not end with a line break.
    func finish() -> Block {
        var block = Block()
        splitter.finish { handle($0, into: &block) }
        return block
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>, into block: inout Block) {
        // Counted here: the splitter is being mutated while it calls us.
        lineNumber += 1
        if line.isEmpty { return }
        block.records += 1
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
