import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing
import TestSupport
import UsageTrackingCore

/// The agent against a real collector behind a faulty link: the collector is down, answers after
/// 20 s, or the link answers 500 before the collector is reached. The agent exits 0 within its
/// bound, the collector stores the instance's day once, and the log says what happened.
@Suite struct CollectorFaultTests {
    /// What the link does with one request.
    enum Fault: Sendable {
        /// Answers this status itself; the collector never sees the request.
        case answer(Int)
        /// Forwards the request at once, and holds the collector's answer this long.
        case holdAnswer(Duration)
    }

    /// A link to the collector at `collectorPort` that applies `faults` to the requests in turn,
    /// then forwards the rest unchanged; serves on a port of its own while `body` runs.
    static func withFaultyLink<T: Sendable>(
        to collectorPort: Int, faults: [Fault], log: RequestLog, _ body: (Int) async throws -> T
    ) async throws -> T {
        let remaining = Mutex(faults)
        // Set when `body` is done: answers still held are let go, so the link stops at once.
        let done = Atomic<Bool>(false)
        return try await FakeServer.run(log: log, routes: { router in
            router.post("v1/pings") { request, _ -> Response in
                let fault = remaining.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                if case .answer(let status) = fault {
                    return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"error":"injected"}"#)))
                }
                var forwarded = HTTPClientRequest(url: "http://127.0.0.1:\(collectorPort)/v1/pings")
                forwarded.method = .POST
                forwarded.headers.add(name: "Content-Type", value: "application/json")
                // A connection per request: the collector closes a connection idle for its request
                // timeout (10 s), and the next attempt comes about 10 s after the last, so a pooled
                // one could be closed by the collector as the link sends on it (a 500 from the link).
                forwarded.headers.add(name: "Connection", value: "close")
                forwarded.body = .bytes(try await request.body.collect(upTo: 64 << 10))
                let answer = try await HTTPClient.shared.execute(forwarded, timeout: .seconds(30))
                let bytes = try await answer.body.collect(upTo: 64 << 10)
                if case .holdAnswer(let delay) = fault {
                    let end = ContinuousClock.now + delay
                    while ContinuousClock.now < end, !done.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
                }
                return Response(status: .init(code: Int(answer.status.code)), headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
            }
        }) { port in
            defer { done.store(true, ordering: .relaxed) }
            return try await body(port)
        }
    }

    static func arguments(port: Int, timeout: Int = 30) -> [String] {
        ["--instance-id", AgentHarness.instanceID, "--region", "us-east-1", "--collector", "http://127.0.0.1:\(port)", "--jitter", "0", "--timeout", "\(timeout)"]
    }

    /// The stored days of the agent's instance: one row per day, however many requests.
    static func storedDays(_ collector: LiveCollector) async throws -> [Int] {
        try await collector.store.instanceRecord(InstanceID(validating: AgentHarness.instanceID))?.days.map(\.pings) ?? []
    }

    @Test func aCollectorThatIsDownMeansExitZeroWithinTheBoundAndTheNextRunStoresIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A port nothing listens on: every connection is refused.
        let closed = try SilentListener()
        let port = closed.port
        closed.close()
        let down = try await AgentHarness.run(Self.arguments(port: port, timeout: 10), environment: [:])
        #expect(down.exitCode == 0, "a telemetry job never fails")
        #expect(down.duration < 14)
        #expect(down.messages.filter { $0 == "retrying" }.count >= 1)
        #expect(down.log("the collector stayed unreachable; not sent") != nil, "\(down.messages)")
        // The next day's run, with the collector back: one ping, stored once.
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let back = try await AgentHarness.run(Self.arguments(port: collector.port), environment: [:])
            #expect(back.exitCode == 0)
            #expect(back.log("sent") != nil)
            #expect(try await Self.storedDays(collector) == [1])
        }
    }

    @Test func aCollectorThatAnswersAfter20SecondsHasTheDayStoredOnceAndTheAgentExitsInTime() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let log = RequestLog()
            // Every answer is held 20 s: each attempt gives up after 10 s, the run after 25 s.
            let faults = [Fault](repeating: .holdAnswer(.seconds(20)), count: 5)
            let result = try await Self.withFaultyLink(to: collector.port, faults: faults, log: log) { link in
                try await AgentHarness.run(Self.arguments(port: link, timeout: 25), environment: [:])
            }
            #expect(result.exitCode == 0)
            #expect(result.duration < 29, "the run's bound is 25 s; took \(result.duration)")
            #expect(result.messages.contains("retrying"))
            let warning = try #require(result.log("the collector did not answer in time; it may have stored the ping, which counts once a day however often it is sent"), "\(result.messages)")
            #expect(warning["error"] == "no answer within the attempt's time limit")
            // Each attempt reached the collector: the instance's day is stored once, with every request counted.
            let days = try await Self.storedDays(collector)
            #expect(days == [log.count], "one day row for \(log.count) requests")
            #expect(log.count >= 2)
            #expect(try await collector.storedDays().map(\.active) == [1])
        }
    }

    @Test func aCollectorThatAnswers500Then200HasThePingStoredOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let log = RequestLog()
            let result = try await Self.withFaultyLink(to: collector.port, faults: [.answer(500), .answer(503)], log: log) { link in
                try await AgentHarness.run(Self.arguments(port: link), environment: [:])
            }
            #expect(result.exitCode == 0)
            // Within its bound (--timeout 30): the retries wait at most 1.5 s, but the collector's
            // fsync can take seconds while the rest of the suite writes beside it.
            #expect(result.duration < 34)
            #expect(log.count == 3)
            let retries = result.logLines.filter { $0["message"] == "retrying" }
            #expect(retries.map { $0["error"] } == ["HTTP 500", "HTTP 503"])
            #expect(result.log("sent")?["http.status"] == "200")
            #expect(try await Self.storedDays(collector) == [1])
        }
    }
}
