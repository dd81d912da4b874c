import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import UsageImport
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// An import writes whole log objects, each with its manifest record, in one transaction per
/// batch (a batch closes after the object that fills it), so each object's pings are counted once
/// or not at all, and a day's pings spread over objects and batches add up exactly.
@Suite struct ImportBatchTests {
    /// `count` distinct (instance, day) pings: 300 instances over `count / 300` days of 2024.
    static func pings(_ count: Int) -> [(id: String, day: Int, hour: Int)] {
        (0..<count).map { (n: Int) -> (id: String, day: Int, hour: Int) in
            let instance: Int = 0xabc000 + n % 300
            return (String(format: "i-%017x", instance), n / 300 + 1, n % 24)
        }
    }

    /// Writes into a real SQLite store (``UsageStore/bulkImport(_:)``) and records each batch's size.
    final class CountingWrite: Sendable {
        let store: SQLiteUsageStore
        let sizes = Mutex<[Int]>([])

        init(_ path: String) throws { store = try SQLiteUsageStore(path: path, logger: Logger(label: "test")) }

        /// Runs `body` with a writer of import batches.
        func load<T: Sendable>(_ body: (@escaping @Sendable (ImportBatch) async throws -> MergeCounts) async throws -> T) async throws -> T {
            var result: T?
            try await store.bulkImport { write in
                result = try await body { batch in
                    self.sizes.withLock { $0.append(batch.days.count) }
                    return try await write(batch)
                }
            }
            return result!
        }
    }

    static let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

    static func line(_ ping: (id: String, day: Int, hour: Int)) -> String {
        let time = String(format: "[%02d/Jan/2024:%02d:00:38 +0000]", ping.day, ping.hour)
        return #"\#(owner) kubeflow-on-aws-usage-tracking-us-west-2 \#(time) 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT instance-\#(ping.id).log "GET /instance-\#(ping.id).log?x-instance-id=\#(ping.id) HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "python-requests/2.31.0" - - - - - kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com TLSv1.2 - -"#
    }

    /// One file of more aggregates than a batch is written whole, in one transaction: its pings,
    /// among them (instance, day) rows whose records are far apart in it, counted exactly.
    @Test(arguments: [false, true])
    func anS3LogLargerThanABatchIsWrittenWholeAndCountedExactly(gzipped: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // 6,000 records of about 500 bytes (about 3 MB), then the first 600 again at other hours.
        let pings = Self.pings(6_000) + Self.pings(600).map { ($0.id, $0.day, ($0.hour + 1) % 24) }
        var log = directory.path("access.log")
        try (pings.map(Self.line).joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: log)[.size] as! Int > 2 << 20)
        if gzipped {
            #expect(try await ProcessRunner.runAsync("/bin/gzip", [log]).exitCode == 0)
            log += ".gz"
        }
        let store = try CountingWrite(directory.path("usage.sqlite"))
        // Small blocks: the test's log compresses to a few dozen KiB.
        let summary = try await store.load { write in
            try await S3LogImporter(batchSize: 1_000, blockSize: 16 << 10, write: write).importPaths([log])
        }
        #expect(summary.pings == 6_600)
        #expect(summary.malformed == 0)
        #expect(summary.merge.inserted == 6_000)
        #expect(store.sizes.withLock { $0 } == [6_000], "one file, one transaction")
        let days = try await store.store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days.map(\.pings).reduce(0, +) == 6_600, "every ping counted")
        #expect(days.map(\.active).reduce(0, +) == 6_000)
        #expect(try await store.store.verify() == [])
    }

    /// Files are gathered into batches of whole files: a batch closes after the file that fills it.
    @Test func batchesCloseAtFileBoundaries() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pings = Self.pings(3_000)
        for part in 0..<3 {
            try (pings[(part * 1_000)..<((part + 1) * 1_000)].map(Self.line).joined(separator: "\n") + "\n")
                .write(toFile: directory.path("log-\(part)"), atomically: true, encoding: .utf8)
        }
        let store = try CountingWrite(directory.path("usage.sqlite"))
        let summary = try await store.load { write in
            try await S3LogImporter(batchSize: 1_500, blockSize: 16 << 10, write: write).importPaths([directory.url.path])
        }
        #expect(store.sizes.withLock { $0 } == [2_000, 1_000])
        #expect(summary.batches == 2)
        #expect(summary.pings == 3_000)
    }

    /// A .gz file broken in its first block, with more blocks behind it, beside a plain file of
    /// many blocks: the broken one is reported, and the plain one is read whole (the reading side
    /// got back the block it had read ahead).
    @Test func aGzipFileBrokenInItsFirstBlockIsReportedAndTheNextFileIsReadWhole() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        let lines = Self.pings(3_000).map { ping in
            let time = String(format: "[%02d/Jan/2024:%02d:00:38 +0000]", ping.day, ping.hour)
            return #"\#(owner) kubeflow-on-aws-usage-tracking-us-west-2 \#(time) 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT instance-\#(ping.id).log "GET /instance-\#(ping.id).log HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "python-requests/2.31.0" - - - - - - TLSv1.2 - -"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory.path("b-good.log"), atomically: true, encoding: .utf8)
        // A gzip header, then a deflate block of the reserved type 3 (an error at once), then 8 KiB.
        let broken = directory.path("a-broken.log.gz")
        try (Data([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x07]) + Data(repeating: 0x41, count: 8 << 10)).write(to: URL(fileURLWithPath: broken))

        let merged = try CountingWrite(directory.path("usage.sqlite"))
        let summary = try await merged.load { write in
            try await S3LogImporter(blockSize: 1 << 10, write: write).importPaths([broken, directory.path("b-good.log")])
        }
        #expect(summary.files == 2)
        #expect(summary.malformed == 1)
        #expect(summary.firstMalformed == ["a-broken.log.gz: not a valid gzip stream"])
        #expect(summary.pings == 3_000)
        #expect(summary.merge.inserted == 3_000)
        #expect(try await merged.store.dailyActivity(from: nil, to: nil, window: 1, region: nil).map(\.pings).reduce(0, +) == 3_000)
    }

    /// Two CSV files holding pings of the same (instance, day) rows add up: each file is counted once.
    @Test func csvFilesOfTheSameDaysAddUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let rows = Self.pings(2_500).map { ping in String(format: "2024-01-%02dT%02d:00:00Z,%@,eu-west-1", ping.day, ping.hour, ping.id) }
        for name in ["a.csv", "b.csv"] {
            try ([PingCSV.header] + rows).joined(separator: "\n").write(toFile: directory.path(name), atomically: true, encoding: .utf8)
        }
        let store = try CountingWrite(directory.path("usage.sqlite"))
        let results = try await store.load { write in
            try await CSVImporter(write: write).importFiles([directory.path("a.csv"), directory.path("b.csv")])
        }
        #expect(results.map(\.tally.pings) == [2_500, 2_500])
        #expect(results.map(\.tally.merge.inserted) == [2_500, 0])
        #expect(store.sizes.withLock { $0 } == [2_500, 2_500], "one transaction per file")
        #expect(try await store.store.dailyActivity(from: nil, to: nil, window: 1, region: nil).map(\.pings).reduce(0, +) == 5_000)
    }
}
