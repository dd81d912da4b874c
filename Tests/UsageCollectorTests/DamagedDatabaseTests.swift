import Foundation
import Testing
import TestSupport

/// A SQLite file the collector cannot use (not a database, truncated, on a read-only volume) is
/// refused with one line that names the file and says what to do, a non-zero exit, and the file
/// and its folder left exactly as they were.
@Suite struct DamagedDatabaseTests {
    static let knownPings = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/known-pings.csv").path

    /// Every command that opens the store, each as a user would run it.
    static let commands: [[String]] = [
        ["serve", "--host", "127.0.0.1", "--port", "0"],
        ["stats"],
        ["import-csv", knownPings],
        ["forget", "i-0000000a"],
    ]

    /// A database the collector wrote (the known pings), closed cleanly.
    static func makeDatabase(at path: String) async throws {
        let result = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", "--database", path, "--log-level", "warning", knownPings])
        #expect(result.exitCode == 0, "\(result.standardError)")
    }

    /// The files of `folder` with their bytes.
    static func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            files[name] = FileManager.default.contents(atPath: folder + "/" + name) ?? Data()
        }
        return files
    }

    /// Runs each command on `database`; each must fail with a line naming the file and containing
    /// `says`, and leave `folder` as it was.
    static func expectRefused(_ database: String, in folder: String, says: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try snapshot(folder)
        for command in commands {
            let result = try await ProcessRunner.runAsync(
                ProcessRunner.product("usage-collector"),
                command + ["--database", database, "--log-level", "warning"], timeout: 30
            )
            #expect(result.exitCode == 1, "\(command[0]) exited \(result.exitCode)", sourceLocation: sourceLocation)
            let lines = result.standardError.split(separator: "\n").filter { $0.hasPrefix("usage-collector: ") }
            #expect(lines.count == 1, "\(command[0]): \(result.standardError)", sourceLocation: sourceLocation)
            let line = lines.first.map(String.init) ?? ""
            #expect(line.contains(database) && line.contains(says), "\(command[0]): \(line)", sourceLocation: sourceLocation)
            #expect(try snapshot(folder) == before, "\(command[0]) changed the files of \(folder)", sourceLocation: sourceLocation)
        }
    }

    @Test func aFileThatIsNotADatabaseIsRefusedAndLeftAsItWas() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        try Data(String(repeating: "time,instance_id,region\n", count: 500).utf8).write(to: URL(fileURLWithPath: database))
        try await Self.expectRefused(database, in: directory.url.path, says: "is not a SQLite database")
    }

    @Test func aTruncatedDatabaseIsRefusedAndLeftAsItWas() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        try await Self.makeDatabase(at: database)
        #expect(!FileManager.default.fileExists(atPath: database + "-wal"), "closed cleanly, no log left")
        let whole = try #require(FileManager.default.contents(atPath: database))
        #expect(whole.count >= 8 * 4096)
        try whole.prefix(whole.count / 2 / 4096 * 4096).write(to: URL(fileURLWithPath: database))
        try await Self.expectRefused(database, in: directory.url.path, says: "is damaged: truncated")
        // Half a page is damaged too, by its size.
        try whole.prefix(whole.count - 100).write(to: URL(fileURLWithPath: database))
        try await Self.expectRefused(database, in: directory.url.path, says: "is damaged")
    }

    @Test func aDatabaseOnAReadOnlyVolumeIsRefusedAndLeftAsItWas() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let volume = directory.path("volume")
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        let database = volume + "/usage.sqlite"
        if getuid() == 0 {
            // Root writes through permission bits: a read-only mount, as a pod's readOnly volume.
            let mounted = try await ProcessRunner.runAsync("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", volume])
            guard mounted.exitCode == 0 else {
                print("DamagedDatabaseTests: read-only volume skipped: cannot mount a tmpfs here: \(mounted.standardError)")
                return
            }
            defer { _ = try? ProcessRunner.run("/bin/umount", ["-l", volume]) }
            try await Self.makeDatabase(at: database)
            let remounted = try await ProcessRunner.runAsync("/bin/mount", ["-o", "remount,ro", volume])
            try #require(remounted.exitCode == 0, "\(remounted.standardError)")
            try await Self.expectRefused(database, in: volume, says: "read-only file system")
            // A new database in a read-only folder: nothing to create it in.
            try await Self.expectRefused(volume + "/new.sqlite", in: volume, says: "is not writable")
        } else {
            try await Self.makeDatabase(at: database)
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: database)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: volume)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: volume) }
            try await Self.expectRefused(database, in: volume, says: "is not writable")
        }
    }

    @Test func aHealthyDatabaseStillOpens() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        try await Self.makeDatabase(at: database)
        let result = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["stats", "--database", database, "--format", "csv"])
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("day,"))
    }
}
