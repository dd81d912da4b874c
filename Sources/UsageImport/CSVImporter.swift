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

    public func importFile(_ path: String) async throws -> Tally {
        let reader = try LineReader(path: path)
        var summary = Tally()
        var aggregates = DayAggregator()
        guard let header = reader.nextLine(), String(decoding: header, as: UTF8.self) == PingCSV.header else {
            throw ImportError("\(path) does not start with the header \(PingCSV.header)")
        }
        var lineNumber = 1
        while let line = reader.nextLine() {
            lineNumber += 1
            if line.isEmpty { continue }
            summary.lines += 1
            do {
                let ping = try PingCSV.ping(String(decoding: line, as: UTF8.self))
                summary.pings += 1
                aggregates.add(ping)
            } catch {
                summary.rejected += 1
                if summary.firstRejections.count < 5 {
                    summary.firstRejections.append("line \(lineNumber): \(error.detail)")
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
