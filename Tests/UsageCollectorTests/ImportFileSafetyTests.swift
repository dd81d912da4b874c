import Foundation
import Logging
import Testing
import TestSupport
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// `import-csv` and `import-s3-logs` given what is not a log (issue #30): a line without end, a
/// device, a named pipe, a symbolic link out of the folder, a cut `.gz`. Each ends promptly, says
/// what it refused and why, and never holds more than one bounded line in memory.
@Suite struct ImportFileSafetyTests {
    static let collector = ProcessRunner.product("usage-collector")

    static func record(id: String, time: String = "29/Nov/2026:00:00:38 +0000") -> String {
        S3LogImportTests.record(time: time, id: id, trailing: S3LogImportTests.trailing27)
    }

    /// The instance IDs of the store at `database`, sorted.
    static func storedInstances(_ database: String, _ ids: [String]) async throws -> [String] {
        let store = try SQLiteUsageStore(path: database, logger: Logger(label: "test"))
        var found: [String] = []
        for id in ids where try await store.instanceRecord(InstanceID(validating: id)) != nil { found.append(id) }
        return found
    }

    /// A file of `count` bytes `byte` (and `prefix` before them), written a MiB at a time.
    static func write(_ path: String, prefix: String = "", count: Int, byte: UInt8, suffix: String = "") throws {
        _ = FileManager.default.createFile(atPath: path, contents: Data(prefix.utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        let block = Data(repeating: byte, count: 1 << 20)
        var left = count
        while left > 0 {
            let piece = min(left, block.count)
            try handle.write(contentsOf: block.prefix(piece))
            left -= piece
        }
        try handle.write(contentsOf: Data(suffix.utf8))
    }

    /// `Maximum resident set size` that `/usr/bin/time -v` reports for the run, in bytes.
    static func peakMemory(_ result: ProcessResult) -> Int? {
        guard let line = result.standardError.split(separator: "\n").first(where: { $0.contains("Maximum resident set size") }),
              let kilobytes = Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") else { return nil }
        return kilobytes * 1024
    }

    // MARK: Line length

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "/usr/bin/time is not installed"))
    func aCSVLineOf64MiBIsRejectedWithoutBeingHeldInMemory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let header = "time,instance_id,region\n"
        let small = directory.path("small.csv")
        try (header + "2026-11-29T06:00:00Z,i-0123456789abcdef0,us-west-2\n").write(toFile: small, atomically: true, encoding: .utf8)
        // A valid line, 64 MiB without a line break, then another valid line.
        let large = directory.path("large.csv")
        try Self.write(large, prefix: header + "2026-11-29T06:00:00Z,i-0123456789abcdef0,us-west-2\n", count: 64 << 20, byte: UInt8(ascii: "x"),
                       suffix: "\n2026-11-29T07:00:00Z,i-0123abcd,us-east-1\n")

        let baseline = try await ProcessRunner.runAsync("/usr/bin/time", ["-v", Self.collector, "import-csv", small, "--database", directory.path("small.sqlite")])
        #expect(baseline.exitCode == 0, "\(baseline.standardError)")
        let result = try await ProcessRunner.runAsync("/usr/bin/time", ["-v", Self.collector, "import-csv", large, "--database", directory.path("large.sqlite")])
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("\(large): 3 lines, 2 pings, 1 rejected"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("  line 3: longer than 64 KiB (67108864 bytes); skipped"), "\(result.standardOutput)")
        #expect(try await Self.storedInstances(directory.path("large.sqlite"), ["i-0123456789abcdef0", "i-0123abcd"]) == ["i-0123456789abcdef0", "i-0123abcd"])
        let before = try #require(Self.peakMemory(baseline))
        let after = try #require(Self.peakMemory(result))
        // The line is never held: the peak stays within 16 MiB of the small file's.
        #expect(after < before + 16 << 20, "peak memory \(after >> 20) MiB against \(before >> 20) MiB for a small file")
    }

    @Test func anS3LogLineLongerThan64KiBIsMalformedEvenWhenItStartsAsARecord() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.path("access.log")
        // A good record, then one followed by 2 MiB of one more "field", then a good one again.
        try Self.write(log, prefix: Self.record(id: "i-0123456789abcdef0") + "\n" + Self.record(id: "i-0123abcd") + " ", count: 2 << 20, byte: UInt8(ascii: "x"),
                       suffix: "\n" + Self.record(id: "i-4567abcd") + "\n")
        let database = directory.path("usage.sqlite")
        let result = try await ProcessRunner.runAsync(Self.collector, ["import-s3-logs", log, "--database", database])
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("pings found:       2"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("malformed lines:   1 (first: access.log:2 (longer than 64 KiB))"), "\(result.standardOutput)")
        #expect(try await Self.storedInstances(database, ["i-0123456789abcdef0", "i-0123abcd", "i-4567abcd"]) == ["i-0123456789abcdef0", "i-4567abcd"])
    }

    // MARK: Regular files only

    @Test func importCSVOfADeviceOrANamedPipeIsAnErrorNamingIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path("pings.csv")
        #expect(mkfifo(fifo, 0o644) == 0)
        for path in ["/dev/zero", fifo] {
            let result = try await ProcessRunner.runAsync(Self.collector, ["import-csv", path, "--database", directory.path("usage.sqlite")], timeout: 30)
            #expect(result.exitCode == 64, "\(path): \(result.standardError)")
            #expect(result.standardError.contains("\(path) is not a regular file"), "\(result.standardError)")
            #expect(result.duration < 20)
        }
    }

    @Test func importS3LogsOfADeviceOrANamedPipeIsAnErrorNamingIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path("access.log")
        #expect(mkfifo(fifo, 0o644) == 0)
        for path in ["/dev/zero", fifo] {
            let result = try await ProcessRunner.runAsync(Self.collector, ["import-s3-logs", path, "--database", directory.path("usage.sqlite")], timeout: 30)
            #expect(result.exitCode == 64, "\(path): \(result.standardError)")
            #expect(result.standardError.contains("\(path) is not a regular file or a folder"), "\(result.standardError)")
            #expect(result.duration < 20)
        }
    }

    @Test func aFolderIsReadForItsOwnRegularFilesAndSaysWhatItSkipped() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logs = directory.url.appendingPathComponent("logs")
        let nested = logs.appendingPathComponent("nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try (Self.record(id: "i-0123456789abcdef0") + "\n").write(to: logs.appendingPathComponent("a.log"), atomically: true, encoding: .utf8)
        // A hidden file inside the folder, read only through the link to it.
        try (Self.record(id: "i-0123abcd") + "\n").write(to: nested.appendingPathComponent(".kept"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: logs.appendingPathComponent("b-inside.log").path, withDestinationPath: "nested/.kept")
        // Outside the folder: a log of another instance, and a device.
        try (Self.record(id: "i-4567abcd") + "\n").write(to: directory.url.appendingPathComponent("outside.log"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: logs.appendingPathComponent("c-outside.log").path, withDestinationPath: "../outside.log")
        try FileManager.default.createSymbolicLink(atPath: nested.appendingPathComponent("d-zero.log").path, withDestinationPath: "/dev/zero")
        #expect(mkfifo(logs.appendingPathComponent("e-pipe.log").path, 0o644) == 0)

        let database = directory.path("usage.sqlite")
        let result = try await ProcessRunner.runAsync(Self.collector, ["import-s3-logs", logs.path, "--database", database], timeout: 60)
        #expect(result.exitCode == 0, "\(result.standardError)")
        let summary = result.standardOutput
        #expect(summary.contains("files read:        2"), "\(summary)")
        #expect(summary.contains("pings found:       2"), "\(summary)")
        #expect(summary.contains("skipped file:      \(logs.path)/c-outside.log: a symbolic link to \(directory.url.resolvingSymlinksInPath().path)/outside.log, outside \(logs.path)"), "\(summary)")
        #expect(summary.contains("skipped file:      \(nested.path)/d-zero.log: a symbolic link to /dev/zero, outside \(logs.path)"), "\(summary)")
        #expect(summary.contains("skipped file:      \(logs.path)/e-pipe.log: a named pipe, not a regular file"), "\(summary)")
        #expect(try await Self.storedInstances(database, ["i-0123456789abcdef0", "i-0123abcd", "i-4567abcd"]) == ["i-0123456789abcdef0", "i-0123abcd"])
    }

    // MARK: gzip

    /// `count` records of one day, each of its own instance.
    static func records(_ count: Int, from first: Int = 0) -> String {
        (first..<(first + count)).map { record(id: String(format: "i-%017x", 0xabc000 + $0)) }.joined(separator: "\n") + "\n"
    }

    static func gzip(_ text: String, to path: String) async throws {
        let plain = String(path.dropLast(3))
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(try await ProcessRunner.runAsync("/bin/gzip", ["-f", plain]).exitCode == 0)
    }

    @Test func aTruncatedGzipIsReportedAsSuchAndTheRecordsBeforeTheCutCount() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logs = directory.url.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let gz = logs.appendingPathComponent("a-cut.log.gz").path
        try await Self.gzip(Self.records(2_000), to: gz)
        let whole = try Data(contentsOf: URL(fileURLWithPath: gz))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: gz))
        try (Self.record(id: "i-89abcdef") + "\n").write(to: logs.appendingPathComponent("b-good.log"), atomically: true, encoding: .utf8)

        let result = try await ProcessRunner.runAsync(Self.collector, ["import-s3-logs", logs.path, "--dry-run"], timeout: 60)
        #expect(result.exitCode == 0, "\(result.standardError)")
        let summary = result.standardOutput
        #expect(summary.contains("malformed lines:   0"), "\(summary)")
        let line = try #require(summary.split(separator: "\n").first { $0.hasPrefix("truncated file:") }, "\(summary)")
        #expect(line.contains("a-cut.log.gz: truncated gzip stream (it ends before its compressed data does; the "), "\(line)")
        #expect(line.hasSuffix(" records before the cut are counted)"), "\(line)")
        // The complete records before the cut, and the other file's, all count.
        let records = try #require(summary.split(separator: "\n").first { $0.hasPrefix("records read:") }.flatMap { Int($0.split(separator: " ").last!) })
        #expect(records > 100 && records < 2_000, "\(summary)")
        #expect(line.contains("the \(records - 1) records before the cut"), "\(line)")
        #expect(summary.contains("pings found:       \(records)"), "\(summary)")
    }

    @Test func aConcatenatedGzipIsReadMemberByMember() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = directory.path("first.log.gz"), second = directory.path("second.log.gz")
        try await Self.gzip(Self.records(300), to: first)
        try await Self.gzip(Self.records(200, from: 300), to: second)
        let both = directory.path("both.log.gz")
        try (try Data(contentsOf: URL(fileURLWithPath: first)) + (try Data(contentsOf: URL(fileURLWithPath: second)))).write(to: URL(fileURLWithPath: both))

        let result = try await ProcessRunner.runAsync(Self.collector, ["import-s3-logs", both, "--dry-run"], timeout: 60)
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("records read:      500"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("pings found:       500"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("malformed lines:   0"), "\(result.standardOutput)")
        #expect(!result.standardOutput.contains("truncated"), "\(result.standardOutput)")
    }
}
