import Foundation
import Testing
import TestSupport
import UsageStore

/// A rolling upgrade on PostgreSQL, for real: the previous release's collector (built from its
/// commit by `.ci/run`, named by `USAGE_TEST_PREVIOUS_COLLECTOR`) serves a database, this one starts
/// beside it and migrates it while pings go to both, then the old one stops: every acknowledged
/// ping is stored once, and `verify` finds the rollups equal to the rows.
/// The previous release's usage-collector, when `.ci/run` (or the developer) built it.
let previousReleaseCollector = ProcessInfo.processInfo.environment["USAGE_TEST_PREVIOUS_COLLECTOR"].flatMap { $0.isEmpty ? nil : $0 }

@Suite(.enabled(
    if: PostgresTestServer.shouldRun && (previousReleaseCollector != nil || PostgresTestServer.inCI),
    "needs USAGE_TEST_POSTGRES_URL and USAGE_TEST_PREVIOUS_COLLECTOR (the previous release's usage-collector; .ci/run builds it)"
))
struct RollingUpgradeTests {
    @Test func aRollingUpgradeLosesNothingAndLeavesTheRollupsEqualToTheRows() async throws {
        let previous = try #require(previousReleaseCollector, "USAGE_TEST_PREVIOUS_COLLECTOR is not set: .ci/run builds the previous release")
        try await PostgresTestDatabase.with { database in
            let environment = PostgresRestartTests.environment
            let ports = [try ExternalTools.freePort(), try ExternalTools.freePort()]
            let old = try BackgroundProcess(previous, ["serve", "--host", "127.0.0.1", "--port", "\(ports[0])", "--rate-limit", "0", "--database", database.url], environment: environment)
            var collectors = [old]
            let load = PostgresRestartTests.PingLoad()
            do {
                try await ScaleOutTests.waitUntilReady(port: ports[0], collector: old)
                let oldOnly = Task { await load.run(ports: [ports[0]], clients: 2) }
                try await PostgresRestartTests.acknowledge(100, more: load)
                // This release starts on the database the old one serves, and migrates it.
                let new = try BackgroundProcess(ProcessRunner.product("usage-collector"), [
                    "serve", "--host", "127.0.0.1", "--port", "\(ports[1])", "--rate-limit", "0", "--max-connections-per-client", "0", "--database", database.url,
                ], environment: environment)
                collectors.append(new)
                try await ScaleOutTests.waitUntilReady(port: ports[1], collector: new)
                let both = Task { await load.run(ports: ports, clients: 2) }
                try await PostgresRestartTests.acknowledge(200, more: load)
                // The old one goes, as a rolling update replaces it; pings go on to the new one.
                load.stopped.store(true, ordering: .relaxed)
                await oldOnly.value
                await both.value
                await ScaleOutTests.stop([old])
                load.stopped.store(false, ordering: .relaxed)
                let newOnly = Task { await load.run(ports: [ports[1]], clients: 2) }
                try await PostgresRestartTests.acknowledge(100, more: load)
                load.stopped.store(true, ordering: .relaxed)
                await newOnly.value
                await ScaleOutTests.stop([new])

                let migrations = try await database.query("SELECT id FROM schema_migrations ORDER BY id").map { try $0.decode(String.self) }
                #expect(migrations.last == "2026-12-07-008-import-manifest")
                let verify = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["verify", "--database", database.url], timeout: 120)
                #expect(verify.exitCode == 0, "\(verify.standardOutput)\(verify.standardError)")
                let stored = try await PostgresRestartTests.storedPings(at: database.url)
                let outcomes = load.outcomes.withLock { $0 }
                let acknowledged = outcomes.filter { $0.value == 200 }.map { ScaleOutTests.instanceID($0.key) }
                let lost = acknowledged.filter { stored[$0] == nil }
                print("RollingUpgradeTests: \(outcomes.count) pings sent, \(acknowledged.count) acknowledged, \(stored.count) stored, \(lost.count) lost, \(stored.values.filter { $0 > 1 }.count) stored twice")
                #expect(acknowledged.count >= 400)
                #expect(lost.isEmpty, "acknowledged and not stored: \(lost.prefix(5))")
                #expect(stored.values.allSatisfy { $0 == 1 }, "a ping was stored twice")
            } catch {
                Issue.record("old: \(collectors[0].output)\nnew: \(collectors.count > 1 ? collectors[1].output : "")")
                load.stopped.store(true, ordering: .relaxed)
                await ScaleOutTests.stop(collectors)
                throw error
            }
        }
    }
}
