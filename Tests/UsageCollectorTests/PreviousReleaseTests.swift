import Foundation
import Testing
import TestSupport

/// A database written by the previous release (the last one before the ping journal) opens with
/// this one, migrates, reports the same numbers that release reported, and takes new pings.
/// The fixture (the database as `sqlite3 .dump` prints it) and its reports come from
/// `scripts/make-previous-release-fixture.sh`; the test restores the dump into a file.
@Suite struct PreviousReleaseTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/previous-release")

    static func reports(_ database: String) async throws -> [String] {
        var lines: [String] = []
        for arguments in [["--window", "1"], ["--window", "7"], ["--window", "28"],
                          ["--report", "new"], ["--report", "churned"], ["--report", "regions"], ["--report", "retention"]] {
            let result = try await ProcessRunner.runAsync(
                ProcessRunner.product("usage-collector"),
                ["stats", "--database", database, "--format", "json", "--log-level", "warning"] + arguments
            )
            #expect(result.exitCode == 0, "\(arguments): \(result.standardError)")
            lines.append(result.standardOutput.trimmingCharacters(in: .newlines))
        }
        return lines
    }

    @Test func aDatabaseOfThePreviousReleaseReportsTheSameAndTakesNewPings() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        let sqlite3 = try #require(ExternalTools.path("sqlite3"), "the sqlite3 command restores the fixture (apt-get install sqlite3; .ci/run does)")
        let restored = try await ProcessRunner.runAsync(sqlite3, [database, ".read \(Self.fixtures.appendingPathComponent("usage.sql").path)"])
        try #require(restored.exitCode == 0, "\(restored.standardError)")
        let expected = try String(contentsOf: Self.fixtures.appendingPathComponent("reports.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(expected.count == 7)
        let reported = try await Self.reports(database)
        for (line, (got, want)) in zip(reported, expected).enumerated() {
            #expect(got == want, "report \(line + 1)")
        }
        // The 28-day counts that migration 006 filled in add up, day by day, to the 28-day actives
        // the previous release kept.
        let daysSeen = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"),
                                             ["stats", "--database", database, "--report", "days-seen", "--format", "csv", "--log-level", "warning"])
        let monthly = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"),
                                            ["stats", "--database", database, "--window", "28", "--format", "csv", "--log-level", "warning"])
        let seenActives = daysSeen.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[5] }
        let actives = monthly.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
        #expect(seenActives.count > 20)
        #expect(seenActives == actives)
        // The previous release imported known-pings.csv without a manifest: importing it again
        // reads it once and replaces what that import stored (not added twice), and after that
        // it is known.
        let csv = Self.fixtures.deletingLastPathComponent().appendingPathComponent("known-pings.csv").path
        let again = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", csv, "--database", database, "--log-level", "warning"])
        #expect(again.exitCode == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("12 pings"), "\(again.standardOutput)")
        let reimported = try await Self.reports(database)
        for (line, (got, want)) in zip(reimported, expected).enumerated() {
            #expect(got == want, "report \(line + 1) after importing the same file again")
        }
        let third = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", csv, "--database", database, "--log-level", "warning"])
        #expect(third.standardOutput.contains("already imported, not read"))
        // Migrated in place: the next ping goes through the journal and is counted.
        let before = try await LiveCollector.run(databasePath: database) { collector in
            let before = try await collector.storedDays().reduce(0) { $0 + $1.pings }
            #expect(try await collector.post("/v1/pings", #"{"instance_id":"i-00000001","region":"us-west-2"}"#).status == 200)
            #expect(try await collector.storedDays().reduce(0) { $0 + $1.pings } == before + 1)
            return before
        }
        #expect(before > 0)
    }
}
