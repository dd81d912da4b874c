import AsyncHTTPClient
import Foundation
import NIOCore
import PostgresNIO
import Synchronization
import Testing
import TestSupport
import UsageStore
import UsageStorePostgres

/// Two real collectors on a PostgreSQL server of the test's own that restarts (fast, then
/// immediate, a crash) and then stays down a while, under a steady ping load: every acknowledged
/// ping is stored once, every other one got a 5xx (which the agent retries), the collectors
/// reconnect by themselves, and `/readyz` says not ready while the server is down.
@Suite(.enabled(if: PostgresTestServer.shouldRun && (PrivatePostgresServer.binaries != nil || PostgresTestServer.inCI), PostgresTestServer.skipMessage))
struct PostgresRestartTests {
    /// Pings with new instance IDs, from a few clients at once, each ID sent once, until stopped.
    final class PingLoad: Sendable {
        /// Status per instance number; 0 when no answer came.
        let outcomes = Mutex<[Int: Int]>([:])
        /// When each request was sent and its answer (or failure) came.
        let times = Mutex<[Int: (sent: ContinuousClock.Instant, answered: ContinuousClock.Instant)]>([:])
        let withoutRetryAfter = Atomic<Int>(0)
        let next = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)

        func run(ports: [Int], clients: Int) async {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        while !self.stopped.load(ordering: .relaxed) {
                            let n = self.next.add(1, ordering: .relaxed).oldValue
                            let sent = ContinuousClock.now
                            let status = await self.send(n, port: ports[n % ports.count])
                            self.outcomes.withLock { $0[n] = status }
                            self.times.withLock { $0[n] = (sent, .now) }
                            if status != 200 { try? await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                }
            }
        }

        func send(_ n: Int, port: Int) async -> Int {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/pings")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"instance_id":"\#(ScaleOutTests.instanceID(n))","region":"us-west-2"}"#))
            // 0: no answer within a minute (the collector answers within its 5 s bound and its queue; a shared CI machine can be slow).
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(60)) else { return 0 }
            _ = try? await response.body.collect(upTo: 1 << 16)
            let status = Int(response.status.code)
            if status != 200, response.headers["Retry-After"].isEmpty { withoutRetryAfter.add(1, ordering: .relaxed) }
            return status
        }

        var acknowledged: Int { outcomes.withLock { $0.values.filter { $0 == 200 }.count } }

        /// Pings sent after `start` and acknowledged before `end`.
        func acknowledged(sentAfter start: ContinuousClock.Instant, answeredBefore end: ContinuousClock.Instant) -> Int {
            let outcomes = self.outcomes.withLock { $0 }
            return times.withLock { $0 }.filter { $0.value.sent > start && $0.value.answered < end && outcomes[$0.key] == 200 }.count
        }
    }

    /// The collectors' whole environment: nothing from this process's (a full copy of it handed
    /// to a launch was under suspicion in a crash inside Foundation's `Process.run()`).
    static let environment = ["PATH": "/usr/bin:/bin", "USAGE_LOG_LEVEL": "warning"]

    static func readiness(port: Int) async -> Int {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) else { return 0 }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// Waits until every collector's `/readyz` answers `status`; returns the seconds it took.
    static func waitForReadiness(_ status: Int, ports: [Int], within seconds: Double) async throws -> Double {
        let start = ContinuousClock.now
        while true {
            var all = true
            for port in ports where await readiness(port: port) != status { all = false }
            let elapsed = ContinuousClock.now - start
            let waited = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if all { return waited }
            guard waited < seconds else { throw StoreError("/readyz did not answer \(status) on every collector within \(seconds) s") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Pings stored per instance ID, over all its days.
    static func storedPings(at url: String) async throws -> [String: Int] {
        var stored: [String: Int] = [:]
        for row in try await PostgresTestServer.query("SELECT instance_id, pings FROM instance_days", on: PostgresDatabaseURL(url)) {
            let (instance, pings) = try row.decode((String, Int).self)
            stored[instance, default: 0] += pings
        }
        return stored
    }

    /// Runs the load until at least `count` more pings are acknowledged (at most 60 s).
    static func acknowledge(_ count: Int, more load: PingLoad) async throws {
        let target = load.acknowledged + count
        for _ in 0..<600 where load.acknowledged < target { try await Task.sleep(for: .milliseconds(100)) }
        guard load.acknowledged >= target else { throw StoreError("the load made no progress: \(load.acknowledged) acknowledged, wanted \(target)") }
    }

    @Test func restartsAndAnOutageLoseNoAcknowledgedPingAndTheCollectorsReconnect() async throws {
        let server = try await PrivatePostgresServer.start()
        defer { server.remove() }
        let ports = [try ExternalTools.freePort(), try ExternalTools.freePort()]
        let environment = Self.environment
        let collectors = try ports.map { port in
            try BackgroundProcess(ProcessRunner.product("usage-collector"),
                                  ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--rate-limit", "0", "--database", server.url], environment: environment)
        }
        let load = PingLoad()
        do {
            for (port, collector) in zip(ports, collectors) {
                try await ScaleOutTests.waitUntilReady(port: port, collector: collector)
            }
            let loadTask = Task { await load.run(ports: ports, clients: 4) }
            var recoveries: [String: Double] = [:]
            try await Self.acknowledge(100, more: load)
            for mode in ["fast", "immediate"] {
                try await server.restart(mode: mode)
                recoveries[mode] = try await Self.waitForReadiness(200, ports: ports, within: 60)
                try await Self.acknowledge(100, more: load)
            }
            // An outage longer than a ping may wait for the database (5 s): not ready, and pings
            // refused with a 5xx, until the server is back.
            try await server.stop(mode: "fast")
            _ = try await Self.waitForReadiness(503, ports: ports, within: 30)
            try await Task.sleep(for: .seconds(2))  // answers already on their way, on a loaded machine
            let duringOutage = load.acknowledged
            try await Task.sleep(for: .seconds(6))
            let acknowledgedWhileDown = load.acknowledged - duringOutage
            try await server.start()
            recoveries["outage"] = try await Self.waitForReadiness(200, ports: ports, within: 60)
            try await Self.acknowledge(100, more: load)
            load.stopped.store(true, ordering: .relaxed)
            await loadTask.value

            // Stopped gracefully, each collector folds what it appended; stats folds the rest.
            await ScaleOutTests.stop(collectors)
            let stats = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["stats", "--format", "json", "--database", server.url], timeout: 60)
            #expect(stats.exitCode == 0, "\(stats.standardError)")
            let stored = try await PostgresRestartTests.storedPings(at: server.url)
            let outcomes = load.outcomes.withLock { $0 }
            let acknowledged = outcomes.filter { $0.value == 200 }.map { ScaleOutTests.instanceID($0.key) }
            let refused = outcomes.filter { $0.value != 200 }
            let lost = acknowledged.filter { stored[$0] == nil }
            let counted = Set(outcomes.keys.map(ScaleOutTests.instanceID))
            print("PostgresRestartTests: \(outcomes.count) pings sent, \(acknowledged.count) acknowledged, \(stored.count) stored, \(lost.count) lost, \(stored.values.filter { $0 > 1 }.count) stored twice, \(refused.count) refused (statuses \(Set(refused.values).sorted())), \(acknowledgedWhileDown) acknowledged while the server was down; ready again after: fast restart \(recoveries["fast"] ?? -1) s, immediate \(recoveries["immediate"] ?? -1) s, outage \(recoveries["outage"] ?? -1) s")
            #expect(lost.isEmpty, "acknowledged and not stored: \(lost.prefix(5))")
            #expect(stored.values.allSatisfy { $0 == 1 }, "a ping was stored twice")
            #expect(Set(stored.keys).isSubset(of: counted), "a ping nobody sent")
            #expect(refused.values.allSatisfy { (500...599).contains($0) }, "every ping not acknowledged got a 5xx: \(Set(refused.values).sorted())")
            #expect(load.withoutRetryAfter.load(ordering: .relaxed) == 0, "a refusal without Retry-After")
            #expect(!refused.isEmpty, "the outage refused pings")
            #expect(acknowledgedWhileDown == 0, "nothing acknowledged while the server was down")
        } catch {
            Issue.record("collector A: \(collectors[0].output)\ncollector B: \(collectors[1].output)\nserver: \(server.log.suffix(3000))")
            load.stopped.store(true, ordering: .relaxed)
            await ScaleOutTests.stop(collectors)
            throw error
        }
    }

    /// A collector that starts before its database waits for it with `--wait-for-database`,
    /// logging each try, then serves; without the flag it exits 1 at once with a clear error.
    @Test func aCollectorStartedBeforeItsDatabaseWaitsForIt() async throws {
        let server = try await PrivatePostgresServer.start()
        defer { server.remove() }
        try await server.stop(mode: "fast")
        let environment = Self.environment
        let refused = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["stats", "--database", server.url], environment: environment, timeout: 60)
        #expect(refused.exitCode == 1)
        #expect(refused.standardError.contains("cannot connect to PostgreSQL at \(server.url)"), "\(refused.standardError)")

        let port = try ExternalTools.freePort()
        let collector = try BackgroundProcess(ProcessRunner.product("usage-collector"),
                                              ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--database", server.url, "--wait-for-database", "120"],
                                              environment: environment)
        defer { collector.stop() }
        try await Task.sleep(for: .seconds(3))
        #expect(collector.isRunning, "it waits: \(collector.output)")
        #expect(collector.output.contains("cannot connect to PostgreSQL yet; trying again"))
        try await server.start()
        try await ScaleOutTests.waitUntilReady(port: port, collector: collector)
        #expect(await PingLoad().send(1, port: port) == 200)
    }
}
