import UsageStore
import UsageTrackingCore

/// `import-csv`: pings with their times (`time,instance_id,region`), validated like live pings
/// and merged idempotently, so loading the same file twice changes nothing.
public struct CSVImporter {
    public struct Tally: Sendable, Hashable {
        public var lines = 0
        public var pings = 0
        public var rejected = 0
        /// The first few rejected lines: number and reason.
        public var firstRejections: [String] = []
        public var merge = MergeCounts()

        /// Counts a rejected line in, and keeps why when it is one of the first few.
        mutating func reject(line: Int, _ reason: String) {
            rejected += 1
            if firstRejections.count < 5 { firstRejections.append("line \(line): \(reason)") }
        }
    }

    /// Merges a batch into the store (`UsageStore.merge`, or the merge of a bulk load).
    let merge: ([DayAggregate]) async throws -> MergeCounts
    /// How many (instance, day) aggregates are held before they are merged, 50,000 per transaction.
    let batchSize: Int

    public init(batchSize: Int = 200_000, merge: @escaping ([DayAggregate]) async throws -> MergeCounts) {
        self.merge = merge
        self.batchSize = batchSize
    }

    /// Merges the aggregates held so far, in transactions of at most 50,000, and empties them.
    func mergeBatch(_ aggregates: inout DayAggregator, into summary: inout Tally) async throws {
        summary.merge = summary.merge + (try await aggregates.flush(transactionSize: 50_000, to: merge))
    }

    /// Imports the CSV file at `path`, which must be a regular file (a device or a named pipe is
    /// an `ImportError` naming it); a line longer than `LineReader.maximumLineLength` is rejected.
    public func importFile(_ path: String) async throws -> Tally {
        let reader = try LineReader(path: path)
        var summary = Tally()
        var aggregates = DayAggregator()
        guard case .text(let header) = try reader.nextLine(), String(decoding: header, as: UTF8.self) == PingCSV.header else {
            throw ImportError("\(path) does not start with the header \(PingCSV.header)")
        }
        var lineNumber = 1
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
            // Merged as soon as a batch is full: memory stays bounded however large the file.
            if aggregates.count >= batchSize {
                try await mergeBatch(&aggregates, into: &summary)
            }
        }
        try await mergeBatch(&aggregates, into: &summary)
        return summary
    }
}
