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
    public struct Summary: Sendable, Hashable {
        public var files = 0
        public var bytes = 0
        public var records = 0
        public var pings = 0
        public var skipped: [String: Int] = [:]
        public var malformed = 0
        /// `file:line` of the first malformed lines.
        public var firstMalformed: [String] = []
        public var merge = MergeSummary()
        /// (instance, day) aggregates handed to the store, batch by batch, and the batches.
        public var aggregates = 0
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
    let merge: ([DayAggregate]) async throws -> MergeSummary
    /// Called now and then with the running summary (for a progress line on a terminal).
    let progress: (Summary) -> Void
    /// How many (instance, day) aggregates are held before they are merged in one transaction.
    let batchSize: Int
    /// Bytes read from a file at a time; a full batch is merged between two blocks. (A block of
    /// a `.gz` holds several times its size of log: 1 MiB of it, some ten to twenty thousand records.)
    let blockSize: Int

    public init(
        batchSize: Int = 200_000, blockSize: Int = 1 << 20,
        merge: @escaping ([DayAggregate]) async throws -> MergeSummary, progress: @escaping (Summary) -> Void = { _ in }
    ) {
        self.merge = merge
        self.batchSize = batchSize
        self.blockSize = max(1, blockSize)
        self.progress = progress
    }

    /// Merges the aggregates held so far in one transaction, and empties them.
    func mergeBatch(_ aggregates: inout DayAggregates, into summary: inout Summary) async throws {
        summary.aggregates += aggregates.count
        summary.batches += 1
        summary.merge = summary.merge + (try await aggregates.flush(to: merge))
    }

    /// Imports every path: a file, a `.gz` file, or a folder of them.
    public func importPaths(_ paths: [String]) async throws -> Summary {
        var summary = Summary()
        var aggregates = DayAggregates(expected: batchSize)
        for file in try Self.files(paths) {
            summary.files += 1
            try await readFile(file, summary: &summary) { ping in
                aggregates.add(ping)
            } afterChunk: { running in
                // A full batch is merged at once, also in the middle of a file: memory stays
                // bounded however large one file is.
                if aggregates.count >= batchSize {
                    try await mergeBatch(&aggregates, into: &running)
                }
            }
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

    /// Streams one file (gunzipping `.gz`) through the parser, calling `afterChunk` after each
    /// block read (`blockSize` bytes of the file).
    func readFile(
        _ path: String, summary: inout Summary, onPing: (Ping) -> Void, afterChunk: (inout Summary) async throws -> Void
    ) async throws {
        guard let file = fopen(path, "rb") else {
            throw ImportError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var parser = S3AccessLogParser()
        var splitter = S3AccessLogLineSplitter()
        var local = summary
        let name = (path as NSString).lastPathComponent
        // Counted here: the splitter is being mutated while it calls us.
        var lineNumber = 0
        func handle(_ line: UnsafeBufferPointer<UInt8>) {
            lineNumber += 1
            if line.isEmpty { return }
            local.records += 1
            switch parser.parse(line) {
            case .ping(let ping):
                local.pings += 1
                onPing(ping)
            case .skipped(let reason):
                local.skipped[reason.rawValue, default: 0] += 1
            case .malformed:
                local.malformed += 1
                if local.firstMalformed.count < 5 { local.firstMalformed.append("\(name):\(lineNumber)") }
            }
        }
        let gzipped = path.hasSuffix(".gz")
        let decompressor = CompressionAlgorithm.gzip().decompressor
        if gzipped {
            decompressor.window = ByteBufferAllocator().buffer(capacity: 1 << 20)
            try decompressor.startStream()
        }
        var chunk = ByteBufferAllocator().buffer(capacity: blockSize)
        while true {
            chunk.clear()
            let count = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: blockSize) { buffer in
                fread(buffer.baseAddress, 1, min(buffer.count, blockSize), file)
            }
            if count == 0 { break }
            local.bytes += count
            if gzipped {
                do {
                    try chunk.decompressStream(with: decompressor) { window in
                        window.withUnsafeReadableBytes { splitter.consume($0, handle) }
                    }
                } catch {
                    local.malformed += 1
                    local.firstMalformed.append("\(name): not a valid gzip stream")
                    break
                }
            } else {
                chunk.withUnsafeReadableBytes { splitter.consume($0, handle) }
            }
            if local.records % 100_000 < 2_000 { progress(local) }
            try await afterChunk(&local)
        }
        splitter.finish(handle)
        if gzipped { try? decompressor.finishStream() }
        summary = local
    }
}
