import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import UsageImport
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// Imports merge a batch as soon as it is full, also in the middle of one large file, so memory
/// stays bounded; the rows stored are those of a one-batch import.
@Suite struct ImportBatchTests {
    /// `count` distinct (instance, day) pings: 300 instances over `count / 300` days of 2024.
    static func pings(_ count: Int) -> [(id: String, day: Int, hour: Int)] {
        (0..<count).map { (n: Int) -> (id: String, day: Int, hour: Int) in
            let instance: Int = 0xabc000 + n % 300
            return (String(format: "i-%017x", instance), n / 300 + 1, n % 24)
        }
    }

    /// Merges into a real SQLite store and records each batch's size.
    final class CountingMerge: Sendable {
        let store: SQLiteUsageStore
        let sizes = Mutex<[Int]>([])

        init(_ path: String) throws { store = try SQLiteUsageStore(path: path, logger: Logger(label: "test")) }

        func merge(_ days: [DayAggregate]) async throws -> MergeCounts {
            sizes.withLock { $0.append(days.count) }
            return try await store.merge(days)
        }
    }

    @Test(arguments: [false, true])
    func anS3LogLargerThanABatchIsMergedBatchByBatchWithinTheFile(gzipped: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        // 6,000 records of about 500 bytes (about 3 MB), then the first 600 again at other hours:
        // their (instance, day) rows are split over two batches.
        let pings = Self.pings(6_000) + Self.pings(600).map { ($0.id, $0.day, ($0.hour + 1) % 24) }
        let lines = pings.map { ping in
            let time = String(format: "[%02d/Jan/2024:%02d:00:38 +0000]", ping.day, ping.hour)
            return #"\#(owner) kubeflow-on-aws-usage-tracking-us-west-2 \#(time) 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT instance-\#(ping.id).log "GET /instance-\#(ping.id).log?x-instance-id=\#(ping.id) HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "python-requests/2.31.0" - - - - - kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com TLSv1.2 - -"#
        }
        var log = directory.path("access.log")
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: log)[.size] as! Int > 2 << 20)
        if gzipped {
            #expect(try await ProcessRunner.runAsync("/bin/gzip", [log]).exitCode == 0)
            log += ".gz"
        }

        let batched = try CountingMerge(directory.path("batched.sqlite"))
        // Small blocks: the test's log compresses to a few dozen KiB.
        let summary = try await S3LogImporter(batchSize: 1_000, blockSize: 16 << 10, merge: batched.merge).importPaths([log])
        let whole = try CountingMerge(directory.path("whole.sqlite"))
        _ = try await S3LogImporter(batchSize: 100_000, merge: whole.merge).importPaths([log])

        #expect(summary.pings == 6_600)
        #expect(summary.malformed == 0)
        #expect(summary.merge.inserted == 6_000)
        #expect(batched.sizes.withLock { $0.count } >= 3)
        #expect(batched.sizes.withLock { $0.reduce(0, +) } == 6_600)
        #expect(whole.sizes.withLock { $0 } == [6_000])
        // What the README promises: instance counts exact, imported ping counts a lower bound
        // (a day split over batches keeps the larger part's count).
        let batchedDays = try await batched.store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        let wholeDays = try await whole.store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(batchedDays.map(\.active) == wholeDays.map(\.active))
        #expect(batchedDays.map(\.new) == wholeDays.map(\.new))
        #expect(wholeDays.map(\.pings).reduce(0, +) == 6_600)
        #expect(batchedDays.map(\.pings).reduce(0, +) == 6_000)
        let weekly = { (store: SQLiteUsageStore) in try await store.dailyActivity(from: nil, to: nil, window: 7, region: nil).map(\.active) }
        #expect(try await weekly(batched.store) == weekly(whole.store))

        // A dry run's summary says that its row count is per batch.
        var dryRun = try await S3LogImporter(batchSize: 1_000, blockSize: 16 << 10, merge: { _ in MergeCounts() }).importPaths([log])
        dryRun.dryRun = true
        let batches = batched.sizes.withLock { $0.count }
        #expect(dryRun.batches == batches)
        #expect(dryRun.text.contains("(instance, day) rows: 6600 found in \(batches) batches (a row whose records fall in two batches is counted in each); dry run, nothing stored"), "\(dryRun.text)")
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

        let merged = try CountingMerge(directory.path("usage.sqlite"))
        let summary = try await S3LogImporter(blockSize: 1 << 10, merge: merged.merge).importPaths([broken, directory.path("b-good.log")])
        #expect(summary.files == 2)
        #expect(summary.malformed == 1)
        #expect(summary.firstMalformed == ["a-broken.log.gz: not a valid gzip stream"])
        #expect(summary.pings == 3_000)
        #expect(summary.merge.inserted == 3_000)
        #expect(try await merged.store.dailyActivity(from: nil, to: nil, window: 1, region: nil).map(\.pings).reduce(0, +) == 3_000)
    }

    @Test func aCSVFileLargerThanABatchIsMergedBatchByBatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let rows = Self.pings(2_500).map { ping in String(format: "2024-01-%02dT%02d:00:00Z,%@,eu-west-1", ping.day, ping.hour, ping.id) }
        let csv = directory.path("pings.csv")
        try ([PingCSV.header] + rows).joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)

        let batched = try CountingMerge(directory.path("batched.sqlite"))
        let summary = try await CSVImporter(batchSize: 1_000, merge: batched.merge).importFile(csv)
        let whole = try CountingMerge(directory.path("whole.sqlite"))
        _ = try await CSVImporter(merge: whole.merge).importFile(csv)

        #expect(summary.pings == 2_500)
        #expect(summary.merge.inserted == 2_500)
        #expect(batched.sizes.withLock { $0 } == [1_000, 1_000, 500])
        #expect(try await allReports(batched.store) == allReports(whole.store))
    }
}
