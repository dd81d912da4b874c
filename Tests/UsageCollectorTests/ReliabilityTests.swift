import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TestSupport
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// The real collector process under abuse: killed mid-stream, flooded, slow clients, big headers.
@Suite struct ReliabilityTests {
    /// Starts `usage-collector serve` on a free port and waits until it answers.
    static func startCollector(database: String, logLevel: String = "warning", arguments: [String] = []) async throws -> (BackgroundProcess, Int) {
        let port = try ExternalTools.freePort()
        let process = try BackgroundProcess(
            ProcessRunner.product("usage-collector"),
            ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--database", database, "--log-level", logLevel] + arguments,
            environment: ["PATH": "/usr/bin:/bin"]
        )
        for _ in 0..<300 {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
                return (process, port)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
        throw FakeServerError("usage-collector did not start: \(process.output)")
    }

    /// The JSON log lines of a process's output.
    static func logLines(_ output: String) -> [[String: String]] {
        output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    static func post(port: Int, _ body: String, headers: [(String, String)] = []) async throws -> (Int, HTTPHeaders) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/pings")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
        return (Int(response.status.code), response.headers)
    }

    @Test func everyAcknowledgedPingSurvivesSIGKILL() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        var totalAcknowledged = 0
        var totalStored = 0
        let acknowledged = AcknowledgedPings()
        let attempted = AcknowledgedPings()
        for round in 0..<3 {
            let (collector, port) = try await Self.startCollector(database: database, arguments: ["--rate-limit", "0"])
            defer { collector.stop() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<6 {
                    group.addTask {
                        for n in 0..<10_000 {
                            let id = "i-" + String(format: "%08x", round * 1_000_000 + client * 10_000 + n % 40)
                            attempted.add(id)
                            guard let (status, _) = try? await Self.post(port: port, #"{"instance_id":"\#(id)","region":"eu-west-1"}"#) else { return }
                            if status == 200 { acknowledged.add(id) }
                        }
                    }
                }
                // Mid-stream: kill without warning.
                try await Task.sleep(for: .milliseconds(1500))
                collector.kill(SIGKILL)
                try await group.waitForAll()
            }
            #expect(collector.exitCode == SIGKILL || collector.exitCode == 9)
        }
        // Every ping that got a 200 is in the database, counted.
        let store = try SQLiteUsageStore(path: database, logger: Logger(label: "test"))
        for (id, count) in acknowledged.counts {
            let held = try await store.instanceRecord(InstanceID(validating: id))
            let stored = held?.days.reduce(0) { $0 + $1.pings } ?? 0
            #expect(stored >= count, "\(id): \(count) acknowledged, \(stored) stored")
            #expect(stored <= attempted.counts[id] ?? 0, "\(id): \(attempted.counts[id] ?? 0) sent, \(stored) stored")
            totalAcknowledged += count
            totalStored += stored
        }
        #expect(totalAcknowledged > 0, "pings were acknowledged before each kill")
        print("SIGKILL test: \(totalAcknowledged) pings acknowledged over 3 kills, \(totalStored) stored")
    }

    /// Killed while it folds the journal into the day rows and rollups (the moment its log says a
    /// fold starts), three times: every acknowledged ping is counted after the restart, and none
    /// twice, in the rows and in the reports.
    @Test func aKillDuringAFoldLosesNothingAndCountsNothingTwice() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        let acknowledged = AcknowledgedPings()
        let attempted = AcknowledgedPings()
        var killsDuringFolds = 0
        for round in 0..<3 {
            // Folds every 500 ms, so each one applies hundreds of pings.
            let (collector, port) = try await Self.startCollector(
                database: database, logLevel: "debug", arguments: ["--rate-limit", "0", "--fold-interval-ms", "500"]
            )
            defer { collector.stop() }
            let stop = StopFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<6 {
                    group.addTask {
                        for n in 0..<20_000 where !stop.isSet {
                            let id = "i-" + String(format: "%08x", 0x4000_0000 + round * 1_000_000 + client * 10_000 + n % 300)
                            attempted.add(id)
                            guard let (status, _) = try? await Self.post(port: port, #"{"instance_id":"\#(id)","region":"eu-west-1"}"#) else { return }
                            if status == 200 { acknowledged.add(id) }
                        }
                    }
                }
                // Kill as a fold of at least 100 pings starts (its log line says how many wait).
                var folding = false
                for _ in 0..<10_000 where !folding {
                    folding = Self.logLines(collector.output).contains {
                        $0["message"] == "folding the ping journal" && Int($0["fold.pending"] ?? "") ?? 0 >= 100
                    }
                    if !folding { try await Task.sleep(for: .milliseconds(1)) }
                }
                collector.kill(SIGKILL)
                if folding { killsDuringFolds += 1 }
                stop.set()
                try await group.waitForAll()
            }
        }
        #expect(killsDuringFolds == 3, "each kill came as a fold started")
        let store = try SQLiteUsageStore(path: database, logger: Logger(label: "test"))
        var totalAcknowledged = 0, totalStored = 0
        for (id, sent) in attempted.counts {
            let count = acknowledged.counts[id] ?? 0
            let stored = try await store.instanceRecord(InstanceID(validating: id))?.days.reduce(0) { $0 + $1.pings } ?? 0
            #expect(stored >= count, "\(id): \(count) acknowledged, \(stored) stored")
            #expect(stored <= sent, "\(id): \(sent) sent, \(stored) stored")
            totalAcknowledged += count
            totalStored += stored
        }
        let reported = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil).reduce(0) { $0 + $1.pings }
        #expect(reported == totalStored, "the reports count the pings stored")
        #expect(totalAcknowledged > 0)
        print("SIGKILL during folds: \(totalAcknowledged) pings acknowledged over 3 kills, \(totalStored) stored")
    }

    @Test func theMetricsCountWhatHappened() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (collector, port) = try await Self.startCollector(database: directory.path("usage.sqlite"))
        defer { collector.stop() }
        #expect(try await Self.post(port: port, #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#).0 == 200)
        #expect(try await Self.post(port: port, #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#).0 == 200)
        #expect(try await Self.post(port: port, #"{"instance_id":"i-4567abcd","region":"us-west-2"}"#).0 == 200)
        #expect(try await Self.post(port: port, #"{"instance_id":"i-fake","region":"us-west-2"}"#).0 == 400)
        #expect(try await Self.post(port: port, #"{"instance_id":"i-0123abcd","region":"us-west-2","x":1}"#).0 == 400)
        #expect(try await Self.post(port: port, String(repeating: " ", count: 2000)).0 == 413)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.headers["Content-Type"].first?.hasPrefix("text/plain") == true)
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(value("usage_pings_recorded_total") == 3, "\(text)")
        #expect(value("usage_pings_duplicate_total") == 1)
        #expect(value(#"usage_pings_rejected_total{reason="invalid_instance_id"}"#) == 1)
        #expect(value(#"usage_pings_rejected_total{reason="unknown_field"}"#) == 1)
        #expect(value(#"usage_pings_rejected_total{reason="body_too_large"}"#) == 1)
        #expect(text.contains("usage_commit_batch_size"))
        #expect(text.contains("usage_commit_duration_seconds"))
        let requests = text.split(separator: "\n").filter { $0.hasPrefix("hb_requests") && $0.contains("/v1/pings") }
        #expect(requests.contains { $0.contains(#""200""#) && $0.hasSuffix(" 3") }, "\(requests)")
    }

    @Test func aFloodFromOneAddressGets429WithRetryAfter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.rateLimit = 0.01; $0.rateBurst = 3 }) { collector in
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#).status)
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
            #expect(statuses.suffix(2).allSatisfy { $0 == 429 })
            let limited = try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#)
            #expect(limited.status == 429)
            #expect(limited.json["error"] as? String == "rate_limited")
            #expect(limited.headers["Retry-After"].first.flatMap(Int.init).map { $0 >= 1 } == true)
            // X-Forwarded-For is not believed without --trust-proxy: still the same address.
            let spoofed = try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#, headers: [("Content-Type", "application/json"), ("X-Forwarded-For", "198.51.100.7")])
            #expect(spoofed.status == 429)
            // Reports are not rate limited.
            #expect(try await collector.get("/v1/reports/actives").status == 200)
        }
    }

    /// Beyond what the store commits in a moment, pings are refused with 429 `overloaded` and a
    /// spread `Retry-After`, never a 5xx, and a refused ping is not stored.
    @Test func moreWaitingPingsThanTheCollectorHoldsGet429Overloaded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.rateLimit = 0; $0.maximumQueuedPings = 1 }) { collector in
            // 400 pings with distinct IDs, 64 at a time (over the client's 8 connections).
            var replies: [Int: LiveCollector.Reply] = [:]
            try await withThrowingTaskGroup(of: (Int, LiveCollector.Reply).self) { group in
                for n in 0..<400 {
                    if n >= 64, let (done, reply) = try await group.next() { replies[done] = reply }
                    group.addTask {
                        (n, try await collector.post("/v1/pings", #"{"instance_id":"i-\#(String(format: "%08x", n))","region":"us-west-2"}"#))
                    }
                }
                for try await (done, reply) in group { replies[done] = reply }
            }
            #expect(replies.count == 400)
            let refused = replies.values.filter { $0.status != 200 }
            #expect(!refused.isEmpty, "with room for one waiting ping, some found the queue full")
            for reply in refused {
                #expect(reply.status == 429)
                #expect(reply.json["error"] as? String == "overloaded")
                #expect(reply.headers["Retry-After"].first.flatMap(Int.init).map { (2...10).contains($0) } == true)
            }
            // Exactly the acknowledged pings are stored, each once.
            let acknowledged = replies.filter { $0.value.status == 200 }.count
            #expect(try await collector.storedDays().reduce(0) { $0 + $1.pings } == acknowledged)
            #expect(try await collector.storedDays().map(\.new).reduce(0, +) == acknowledged)

            // The original distribution's one-shot GET is never shed: its client does not retry.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                var statuses: [Int] = []
                for n in 0..<200 {
                    if n >= 64, let status = try await group.next() { statuses.append(status) }
                    group.addTask {
                        let id = "i-\(String(format: "%08x", 0x1000 + n))"
                        return try await collector.get("/instance-\(id).log?x-instance-id=\(id)").status
                    }
                }
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses.count == 200 && statuses.allSatisfy { $0 == 200 })
        }
    }

    @Test func behindATrustedProxyEachForwardedAddressHasItsOwnBucket() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.rateLimit = 0.01; $0.rateBurst = 1; $0.trustProxy = true }) { collector in
            func post(from address: String) async throws -> Int {
                try await collector.post("/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#, headers: [("Content-Type", "application/json"), ("X-Forwarded-For", "203.0.113.9, \(address)")]).status
            }
            let first = try await post(from: "198.51.100.1")
            let second = try await post(from: "198.51.100.1")
            let other = try await post(from: "198.51.100.2")
            #expect(first == 200)
            #expect(second == 429)
            #expect(other == 200)
        }
    }

    @Test func oversizedHeadersGet431() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let reply = try await collector.post(
                "/v1/pings", #"{"instance_id":"i-0123abcd","region":"us-west-2"}"#,
                headers: [("Content-Type", "application/json"), ("X-Padding", String(repeating: "a", count: 9000))]
            )
            #expect(reply.status == 431)
            #expect(reply.json["error"] as? String == "headers_too_large")
            #expect(try await collector.storedDays().isEmpty)
        }
    }

    @Test func aSlowClientIsDisconnected() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.requestTimeoutSeconds = 1 }) { collector in
            let started = Date()
            let client = try RawTCPClient(port: collector.port)
            client.send("POST /v1/pings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60\r\n")  // headers never end
            let closed = await Task.detached { client.waitForClose(seconds: 10) }.value
            #expect(closed, "the server closed the connection")
            #expect(Date().timeIntervalSince(started) < 8)
            // A normal request still works.
            #expect(try await collector.get("/healthz").status == 200)
        }
    }
}

/// Pings that got a 200, per instance, from several client tasks.
final class AcknowledgedPings: Sendable {
    let state = Mutex<[String: Int]>([:])

    func add(_ id: String) { state.withLock { $0[id, default: 0] += 1 } }

    var counts: [String: Int] { state.withLock { $0 } }
}

/// Tells client tasks to stop.
final class StopFlag: Sendable {
    let state = Mutex(false)

    var isSet: Bool { state.withLock { $0 } }

    func set() { state.withLock { $0 = true } }
}
