import Foundation
import Logging
import Testing
import TestSupport
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// `usage-collector import-s3-logs` end to end: files, a folder, a .gz file, every record shape.
@Suite struct S3LogImportTests {
    static let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    static let hostID = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234="

    /// A record in the documented field order; `trailing` is everything after the user agent.
    static func record(
        bucket: String = "kubeflow-on-aws-usage-tracking-us-west-2", time: String, ip: String = "192.0.2.3",
        operation: String = "REST.GET.OBJECT", id: String, status: String = "403",
        userAgent: String = #""curl/8.0 (x86_64) \"quoted\" agent""#, trailing: String
    ) -> String {
        "\(owner) \(bucket) [\(time)] \(ip) - 3E57427F3EXAMPLE \(operation) instance-\(id).log \"GET /instance-\(id).log?x-instance-id=\(id) HTTP/1.1\" \(status) AccessDenied 243 - 7 - \"-\" \(userAgent) \(trailing)"
    }

    /// 18 + 6 = 24 fields (2017 records), + 26 and 27 with the TLS fields, access point and ACL.
    static let trailing24 = "- \(hostID) SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader"
    static let trailing26 = "- \(hostID) SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com TLSv1.2 -"
    static let trailing27 = trailing26 + " Yes"

    static let dayOne = [
        record(time: "29/Nov/2026:00:00:38 +0000", id: "i-0123456789abcdef0", trailing: trailing27),
        record(time: "29/Nov/2026:07:00:00 +0000", id: "i-0123456789abcdef0", status: "404", trailing: trailing26),  // same day again
        record(time: "29/Nov/2026:01:02:03 +0000", ip: "2001:db8::1", id: "i-0123abcd", status: "200", trailing: trailing24),
        record(bucket: "kubeflow-on-aws-usage-tracking-cn-north-1", time: "29/Nov/2026:09:00:00 +0800", id: "i-4567abcd",
               trailing: "- \(hostID) SigV4 - AuthHeader kubeflow-on-aws-usage-tracking-cn-north-1.s3.cn-north-1.amazonaws.com.cn TLSv1.2 - -"),
        // Not pings: a PUT, a bucket listing, another bucket, a malformed ID; then garbage and a truncated line.
        record(time: "29/Nov/2026:02:00:00 +0000", operation: "REST.PUT.OBJECT", id: "i-0123456789abcdef0", trailing: trailing27),
        "\(owner) kubeflow-on-aws-usage-tracking-us-west-2 [29/Nov/2026:02:00:00 +0000] 192.0.2.3 - REQ REST.GET.BUCKET - \"GET /?list-type=2 HTTP/1.1\" 200 - 900 - 7 - \"-\" \"aws-cli/2\" - \(hostID) SigV4 - AuthHeader - TLSv1.2 - -",
        record(bucket: "some-other-bucket", time: "29/Nov/2026:02:00:00 +0000", id: "i-0123456789abcdef0", trailing: trailing27),
        record(time: "29/Nov/2026:02:00:00 +0000", id: "i-NOTHEX00", trailing: trailing27),
        "this is not an access log line",
        "\(owner) kubeflow-on-aws-usage-tracking-us-west-2 [29/Nov/2026:02:00:00 +0000] 192.0.2.3 - REQ REST.GET.OBJECT",
    ]

    static let dayTwo = [
        record(time: "30/Nov/2026:00:10:00 +0000", id: "i-0123456789abcdef0", trailing: trailing27),
        // A record with fields AWS may add later.
        record(time: "30/Nov/2026:03:00:00 +0000", id: "i-89abcdef", trailing: trailing27 + " us-west-2 future-field another"),
    ]

    @Test func importsFilesFoldersAndGzipOnceHoweverOftenItRuns() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logs = directory.url.appendingPathComponent("logs")
        let nested = logs.appendingPathComponent("2026/11/30")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try (Self.dayOne.joined(separator: "\n") + "\n").write(to: logs.appendingPathComponent("2026-11-29-00-00-00-EXAMPLE"), atomically: true, encoding: .utf8)
        let plain = nested.appendingPathComponent("2026-11-30-00-00-00-EXAMPLE")
        try Self.dayTwo.joined(separator: "\n").write(to: plain, atomically: true, encoding: .utf8)  // no final newline
        let gzip = try await ProcessRunner.runAsync("/bin/gzip", [plain.path])
        #expect(gzip.exitCode == 0)

        let database = directory.path("usage.sqlite")
        let collector = ProcessRunner.product("usage-collector")
        // A dry run reads and validates everything, prints the same counts, and creates no database.
        let dryRun = try await ProcessRunner.runAsync(collector, ["import-s3-logs", logs.path, "--database", database, "--dry-run"])
        #expect(dryRun.exitCode == 0, "\(dryRun.standardError)")
        #expect(dryRun.standardOutput.contains("pings found:       6"))
        #expect(dryRun.standardOutput.contains("(instance, day) rows: 5 found; dry run, nothing stored"), "\(dryRun.standardOutput)")
        #expect(dryRun.standardOutput.contains("malformed lines:   2 (first: 2026-11-29-00-00-00-EXAMPLE:9, 2026-11-29-00-00-00-EXAMPLE:10)"))
        #expect(!FileManager.default.fileExists(atPath: database))

        let first = try await ProcessRunner.runAsync(collector, ["import-s3-logs", logs.path, "--database", database])
        #expect(first.exitCode == 0, "\(first.standardError)")
        let summary = first.standardOutput
        #expect(summary.contains("files read:        2"))
        #expect(summary.contains("records read:      12"))
        #expect(summary.contains("pings found:       6"))
        #expect(summary.contains("(instance, day) rows: 5 new, 0 grown, 0 unchanged"))
        #expect(summary.contains("files skipped:     0 already imported"))
        #expect(summary.contains("skipped, not_a_get_of_an_instance_object: 2"))
        #expect(summary.contains("skipped, not_a_usage_bucket: 1"))
        #expect(summary.contains("skipped, invalid_instance_id: 1"))
        #expect(summary.contains("malformed lines:   2 (first: 2026-11-29-00-00-00-EXAMPLE:9, 2026-11-29-00-00-00-EXAMPLE:10)"), "\(summary)")

        let store = try SQLiteUsageStore(path: database, logger: Logger(label: "test"))
        let main = try #require(try await store.instanceRecord(InstanceID(validating: "i-0123456789abcdef0")))
        #expect(main.region == "us-west-2")
        #expect(main.days.map(\.day) == ["2026-11-29", "2026-11-30"])
        #expect(main.days.map(\.pings) == [2, 1])
        #expect(main.days.first?.firstSeen == "2026-11-29T00:00:38.000Z")
        #expect(main.days.first?.lastSeen == "2026-11-29T07:00:00.000Z")
        // +0800: 09:00 in Beijing is 01:00 UTC.
        let beijing = try #require(try await store.instanceRecord(InstanceID(validating: "i-4567abcd")))
        #expect(beijing.region == "cn-north-1")
        #expect(beijing.days.first?.firstSeen == "2026-11-29T01:00:00.000Z")
        #expect(try await store.instanceRecord(InstanceID(validating: "i-0123abcd"))?.days.count == 1)
        #expect(try await store.instanceRecord(InstanceID(validating: "i-89abcdef"))?.days.map(\.day) == ["2026-11-30"])
        let before = try await store.dailyActivity(from: nil, to: nil, window: 7, region: nil)
        #expect(before.map(\.active) == [3, 4])

        // The same logs again change nothing: no file is read.
        let second = try await ProcessRunner.runAsync(collector, ["import-s3-logs", logs.path, "--database", database])
        #expect(second.standardOutput.contains("files read:        0"), "\(second.standardOutput)")
        #expect(second.standardOutput.contains("files skipped:     2 already imported"))
        #expect(second.standardOutput.contains("(instance, day) rows: 0 new, 0 grown, 0 unchanged"))
        #expect(try await store.dailyActivity(from: nil, to: nil, window: 7, region: nil) == before)
        #expect(try await store.instanceRecord(InstanceID(validating: "i-0123456789abcdef0")) == main)

        // Nothing but the ping's fields reached the database: no IP, user agent or request ID.
        let bytes = DatabaseFiles.bytes(of: database)
        for secret in ["192.0.2.3", "2001:db8", "curl/8.0", "3E57427F3EXAMPLE", Self.owner, "AccessDenied"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) reached the database")
        }
    }

    @Test func aBrokenGzipFileIsCountedAndTheOtherFilesStillImport() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logs = directory.url.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try Data("this is not gzip at all\n".utf8).write(to: logs.appendingPathComponent("a-broken.gz"))
        try (Self.dayTwo.joined(separator: "\n") + "\n").write(to: logs.appendingPathComponent("b-good"), atomically: true, encoding: .utf8)

        let database = directory.path("usage.sqlite")
        let result = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-s3-logs", logs.path, "--database", database])
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("files read:        2"))
        #expect(result.standardOutput.contains("pings found:       2"))
        #expect(result.standardOutput.contains("malformed lines:   1 (first: a-broken.gz: not a valid gzip stream)"), "\(result.standardOutput)")
        let store = try SQLiteUsageStore(path: database, logger: Logger(label: "test"))
        #expect(try await store.instanceRecord(InstanceID(validating: "i-89abcdef"))?.days.map(\.day) == ["2026-11-30"])
    }

    @Test func aMissingPathIsAClearError() async throws {
        let result = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-s3-logs", "/nonexistent/logs", "--database", "/tmp/unused-\(UUID().uuidString).sqlite"])
        #expect(result.exitCode == 64)
        #expect(result.standardError.contains("/nonexistent/logs does not exist"))
    }

    /// A day's pings in log objects that arrive in two syncs count as their sum (they counted as
    /// the larger part); an object that changed is refused, naming it, and nothing of that import
    /// is stored; one that only grew is read from where it grew with --reimport-changed.
    @Test func aDaySplitOverTwoImportsCountsExactlyAndAChangedObjectIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logs = directory.url.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs.appendingPathComponent("2026-11-29"), withIntermediateDirectories: true)
        let database = directory.path("usage.sqlite")
        let collector = ProcessRunner.product("usage-collector")
        let id = "i-0123456789abcdef0"
        func write(_ name: String, _ lines: [String]) throws {
            try (lines.joined(separator: "\n") + "\n").write(to: logs.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        func pings() async throws -> [Int] {
            let store = try SQLiteUsageStore(path: database, logger: Logger(label: "test"))
            return try await store.instanceRecord(InstanceID(validating: id))?.days.map(\.pings) ?? []
        }
        try write("2026-11-29/a", [Self.record(time: "29/Nov/2026:00:10:00 +0000", id: id, trailing: Self.trailing27)])
        #expect(try await ProcessRunner.runAsync(collector, ["import-s3-logs", logs.path, "--database", database]).exitCode == 0)
        try write("2026-11-29/b", [Self.record(time: "29/Nov/2026:05:00:00 +0000", id: id, trailing: Self.trailing27)])
        let second = try await ProcessRunner.runAsync(collector, ["import-s3-logs", logs.path, "--database", database])
        #expect(second.standardOutput.contains("files read:        1"), "\(second.standardOutput)")
        #expect(second.standardOutput.contains("files skipped:     1 already imported"))
        #expect(try await pings() == [2], "the two parts add up")

        // Object a grew (the next sync finished it), and c is new: refused, a named, c not stored either.
        try write("2026-11-29/a", [
            Self.record(time: "29/Nov/2026:00:10:00 +0000", id: id, trailing: Self.trailing27),
            Self.record(time: "29/Nov/2026:09:00:00 +0000", id: id, trailing: Self.trailing27),
        ])
        try write("2026-11-29/c", [Self.record(time: "29/Nov/2026:11:00:00 +0000", id: "i-89abcdef", trailing: Self.trailing27)])
        let refused = try await ProcessRunner.runAsync(collector, ["import-s3-logs", logs.path, "--database", database])
        #expect(refused.exitCode == 64)
        #expect(refused.standardError.contains("changed since they were imported") && refused.standardError.contains("2026-11-29/a"), "\(refused.standardError)")
        #expect(try await pings() == [2])
        #expect(try await SQLiteUsageStore(path: database, logger: Logger(label: "test")).instanceRecord(InstanceID(validating: "i-89abcdef")) == nil)

        let grown = try await ProcessRunner.runAsync(collector, ["import-s3-logs", "--reimport-changed", logs.path, "--database", database])
        #expect(grown.exitCode == 0, "\(grown.standardError)")
        #expect(grown.standardOutput.contains("grown file:        2026-11-29/a (read from where it grew)"), "\(grown.standardOutput)")
        #expect(grown.standardOutput.contains("pings found:       2"), "the grown part and the new file: \(grown.standardOutput)")
        #expect(try await pings() == [3], "what a gained is counted, what it held is not counted again")
        #expect(try await ProcessRunner.runAsync(collector, ["verify", "--database", database]).exitCode == 0)
    }
}
