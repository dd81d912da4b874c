import Foundation
import GRDB
import Synchronization
import Testing
import TestSupport
import UsageCollector
import UsageStore
import UsageStoreSQLite
import UsageTrackingCore

/// `verify`, `verify --repair` and `backup`, run as an operator runs them, beside a live collector.
@Suite struct OperationsCommandTests {
    static let collector = ProcessRunner.product("usage-collector")

    @Test func verifyExitsOneOnDriftAndRepairMakesItZero() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let generate = try await ProcessRunner.runAsync(Self.collector, ["generate", "--instances", "200", "--days", "40", "--end", "2026-11-29", "--database", path])
        #expect(generate.exitCode == 0, "\(generate.standardError)")
        let clean = try await ProcessRunner.runAsync(Self.collector, ["verify", "--database", path])
        #expect(clean.exitCode == 0)
        #expect(clean.standardOutput == "verify: the rollups equal what the rows give\n")
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE daily_rollup SET pings = pings + 1 WHERE scope = '*' AND day = (SELECT max(day) FROM daily_rollup)")
        }
        let drifted = try await ProcessRunner.runAsync(Self.collector, ["verify", "--database", path])
        #expect(drifted.exitCode == 1)
        #expect(drifted.standardOutput.hasPrefix("daily_rollup scope=* day=2026-11-29: pings stored "), "\(drifted.standardOutput)")
        #expect(drifted.standardOutput.hasSuffix("verify: 1 rollup cells differ from what the rows give\n"))
        let repaired = try await ProcessRunner.runAsync(Self.collector, ["verify", "--repair", "--database", path])
        #expect(repaired.exitCode == 0, "\(repaired.standardOutput)\(repaired.standardError)")
        #expect(repaired.standardOutput.hasSuffix("verify: repaired; the rollups equal what the rows give\n"))
        #expect(try await ProcessRunner.runAsync(Self.collector, ["verify", "--database", path]).exitCode == 0)
    }

    /// A backup taken while pings arrive holds every ping acknowledged before it started, verifies,
    /// and opens as a collector's database.
    @Test func aBackupUnderLoadHoldsEveryPingAcknowledgedBeforeIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let copy = directory.path("backup.sqlite")
        try await LiveCollector.run(databasePath: path, configure: { $0.rateLimit = 0; $0.maximumConnectionsPerClient = nil }) { collector in
            final class Load: Sendable {
                let acknowledged = Mutex<[Int: ContinuousClock.Instant]>([:])
                let stopped = Mutex(false)
            }
            let state = Load()
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for client in 0..<4 {
                        group.addTask {
                            var n = client
                            while !state.stopped.withLock({ $0 }) {
                                let id = "i-" + String(repeating: "0", count: 11) + String(format: "%06x", n)
                                if let reply = try? await collector.post("/v1/pings", #"{"instance_id":"\#(id)","region":"us-west-2"}"#), reply.status == 200 {
                                    state.acknowledged.withLock { $0[n] = .now }
                                }
                                n += 4
                            }
                        }
                    }
                }
            }
            // Until the load is well under way (a loaded machine takes its time).
            for _ in 0..<600 where state.acknowledged.withLock({ $0.count }) < 50 { try await Task.sleep(for: .milliseconds(100)) }
            let started = ContinuousClock.now
            let before = state.acknowledged.withLock { $0.filter { $0.value < started }.map(\.key) }
            let backup = try await ProcessRunner.runAsync(Self.collector, ["backup", "--database", path, copy])
            state.stopped.withLock { $0 = true }
            await load.value
            #expect(backup.exitCode == 0, "\(backup.standardOutput)\(backup.standardError)")
            #expect(backup.standardOutput.contains("fsynced, integrity ok, rollups verified"), "\(backup.standardOutput)")
            #expect(before.count > 20, "the load ran: \(before.count) pings before the backup")
            #expect(!FileManager.default.fileExists(atPath: copy + "-pings"), "the backup is one file")
            let mode = try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int
            #expect(mode.map { $0 & 0o777 } == 0o600)
            let restored = try SQLiteUsageStore(path: copy, logger: .init(label: "test"))
            for n in before {
                let id = try InstanceID(validating: "i-" + String(repeating: "0", count: 11) + String(format: "%06x", n))
                #expect(try await restored.instanceRecord(id) != nil, "ping \(n), acknowledged before the backup, is not in it")
            }
            #expect(try await restored.verify() == [])
            let again = try await ProcessRunner.runAsync(Self.collector, ["backup", "--database", path, copy])
            #expect(again.exitCode == 1)
            #expect(again.standardError.contains("exists; a backup never overwrites a file"))
        }
    }

    @Test func backupOfPostgreSQLPointsAtItsOwnTools() async throws {
        let result = try await ProcessRunner.runAsync(Self.collector, ["backup", "--database", "postgres://usage@127.0.0.1:1/usage", "/tmp/never-written"])
        #expect(result.exitCode == 1)
        #expect(result.standardError.contains("pg_dump") && result.standardError.contains("point-in-time recovery"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written"))
    }
}
