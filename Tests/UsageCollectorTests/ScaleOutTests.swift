import AsyncHTTPClient
import Foundation
import NIOCore
import PostgresNIO
import Testing
import TestSupport
import UsageStore
import UsageTrackingCore

/// Scale-out: several real `usage-collector` processes on one PostgreSQL database never double
/// count, and a bad database URL is a clear error from the real binary.
@Suite(.enabled(if: PostgresTestServer.shouldRun, PostgresTestServer.skipMessage))
struct ScaleOutTests {
    static let instances = 120

    /// Collector A gets the database by `--database`, collector B by `USAGE_DATABASE_URL`; both start
    /// at once on a new database, so both migrate at once (under the advisory lock). Rate limiting is
    /// off: every request comes from 127.0.0.1.
    @Test func twoCollectorsOnOneDatabaseStoreEachInstanceDayOnce() async throws {
        let database = try await PostgresTestDatabase.create()
        let ports = [try ExternalTools.freePort(), try ExternalTools.freePort()]
        var environment = ProcessInfo.processInfo.environment
        environment["USAGE_LOG_LEVEL"] = "warning"
        var withURL = environment
        withURL["USAGE_DATABASE_URL"] = database.url
        let collectors = [
            try BackgroundProcess(ProcessRunner.product("usage-collector"),
                                  ["serve", "--host", "127.0.0.1", "--port", "\(ports[0])", "--rate-limit", "0", "--database", database.url], environment: environment),
            try BackgroundProcess(ProcessRunner.product("usage-collector"),
                                  ["serve", "--host", "127.0.0.1", "--port", "\(ports[1])", "--rate-limit", "0"], environment: withURL),
        ]
        do {
            for (port, collector) in zip(ports, collectors) {
                try await Self.waitUntilReady(port: port, collector: collector)
            }
            // Every ping twice, once to each collector, both at the same moment; 16 instances in flight.
            let regions = ["us-west-2", "eu-west-1", "ap-southeast-7", "cn-north-1", "us-gov-west-1"]
            let firstToday = try await withThrowingTaskGroup(of: (Int, [Bool]).self) { group in
                var results: [Int: [Bool]] = [:]
                for n in 0..<Self.instances {
                    if n >= 16, let (instance, flags) = try await group.next() { results[instance] = flags }
                    group.addTask {
                        let body = #"{"instance_id":"\#(Self.instanceID(n))","region":"\#(regions[n % regions.count])"}"#
                        async let a = Self.ping(port: ports[n % 2], body)
                        async let b = Self.ping(port: ports[(n + 1) % 2], body)
                        return (n, try await [a, b])
                    }
                }
                for try await (instance, flags) in group { results[instance] = flags }
                return results
            }
            #expect(firstToday.count == Self.instances)

            // Each (instance, day) once; its pings are both pings, unless the two fell on either
            // side of midnight UTC (then both were first of their day).
            var expected: [String: [Int]] = [:]
            for (n, flags) in firstToday {
                #expect(flags.contains(true), "instance \(n): neither ping was the first of its day")
                expected[Self.instanceID(n)] = flags == [true, true] ? [1, 1] : [2]
            }
            var stored: [String: [Int]] = [:]
            for row in try await database.query("SELECT instance_id, pings FROM instance_days ORDER BY instance_id, day") {
                let (instance, pings) = try row.decode((String, Int).self)
                stored[instance, default: []].append(pings)
            }
            #expect(stored == expected)
            let keys = try await database.query("SELECT count(*), count(DISTINCT (instance_id, day)) FROM instance_days")
            let (rows, distinct) = try keys[0].decode((Int, Int).self)
            #expect(rows == distinct)

            // The reports read the same through the real binary.
            let stats = try await ProcessRunner.runAsync(
                ProcessRunner.product("usage-collector"), ["stats", "--format", "json", "--database", database.url], timeout: 60
            )
            #expect(stats.exitCode == 0, "\(stats.standardError)")
            let report = try JSONDecoder().decode(ActivesReport.Result.self, from: Data(stats.standardOutput.utf8))
            #expect(report.days.map(\.pings).reduce(0, +) == 2 * Self.instances)
            #expect(report.days.map(\.new).reduce(0, +) == Self.instances)
            if expected.values.allSatisfy({ $0 == [2] }) {
                #expect(report.days.map(\.active) == [Self.instances])
            }
        } catch {
            Issue.record("collector A: \(collectors[0].output)\ncollector B: \(collectors[1].output)")
            await Self.stop(collectors)
            await database.drop()
            throw error
        }
        await Self.stop(collectors)
        await database.drop()
    }

    @Test func aBadDatabaseURLIsAClearErrorFromTheBinary() async throws {
        let server = try PostgresTestServer.requireURL()
        let closed = try ExternalTools.freePort()
        let cases: [(url: String, message: String)] = [
            ("postgres://user:secret@host:99999/db", "port must be between 1 and 65535"),
            ("postgres://user:secret@host/db?sslmode=maybe", "sslmode must be one of"),
            ("postgres://\(server.username):secret@127.0.0.1:\(closed)/postgres", "cannot connect to PostgreSQL at postgres://\(server.username):***@127.0.0.1:\(closed)/postgres"),
            (try server.naming(database: "usage_no_such_database"), #"database "usage_no_such_database" does not exist"#),
        ]
        for (url, message) in cases {
            let result = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["stats", "--database", url], timeout: 60)
            #expect(result.exitCode == 1, "\(url): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(url): \(result.standardError)")
            #expect(!result.standardError.contains("secret"), "the password leaked: \(result.standardError)")
            #expect(!result.standardError.contains("Fatal error"), "\(url) crashed: \(result.standardError)")
        }
    }

    // MARK: Helpers

    static func instanceID(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return "i-" + String(repeating: "0", count: 17 - hex.count) + hex
    }

    /// Posts one ping until it is acknowledged, waiting as a 429 asks (as the agent does); returns
    /// `first_today`.
    static func ping(port: Int, _ body: String) async throws -> Bool {
        for _ in 0..<100 {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/pings")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 16))
            switch response.status.code {
            case 200:
                return text.contains(#""first_today":true"#)
            case 429:
                let seconds = response.headers["Retry-After"].first.flatMap(Int.init) ?? 1
                try await Task.sleep(for: .milliseconds(max(100, seconds * 1000)))
            default:
                throw StoreError("collector on port \(port) answered \(response.status.code): \(text)")
            }
        }
        throw StoreError("collector on port \(port) kept refusing a ping")
    }

    /// Stops the processes on a thread of its own: stopping waits, and must not hold up the
    /// Swift concurrency pool that the other tests share.
    static func stop(_ collectors: [BackgroundProcess]) async {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                for collector in collectors { collector.stop() }
                continuation.resume()
            }
        }
    }

    static func waitUntilReady(port: Int, collector: BackgroundProcess) async throws {
        for _ in 0..<300 {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), response.status.code == 200 { return }
            guard collector.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StoreError("usage-collector on port \(port) did not become ready: \(collector.output)")
    }
}
