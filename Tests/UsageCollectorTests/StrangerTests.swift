import Foundation
import Synchronization
import Testing
import TestSupport
import UsageCollector
import UsageTrackingCore

/// What a stranger on the internet can do to the collector, tried as one would over real HTTP on
/// 127.0.0.1 (and 127.0.0.2, another client to it).
@Suite struct StrangerTests {
    static let body = #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#

    /// Twenty keep-alive connections from one address, each asking for /healthz now and then,
    /// held all twenty connections of `--max-connections 20`: a fresh client waited 29 s. Now one
    /// client holds at most its share, and the next client is answered at once.
    @Test func oneClientCannotHoldEveryConnection() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: {
            $0.maximumConnections = 20
            $0.maximumConnectionsPerClient = 4
            $0.rateLimit = 0
        }) { collector in
            let port = collector.port
            var held: [RawHTTPConnection] = []
            for _ in 0..<20 { held.append(try await RawHTTPConnection.open(toPort: port)) }
            var answered = 0
            for connection in held {
                if (try? await connection.request("/healthz").status) == 200 { answered += 1 }
            }
            // Four are admitted; under load one of them may still be on its way when asked.
            #expect((1...4).contains(answered), "one client is served on at most 4 connections, the others closed: \(answered)")
            let started = ContinuousClock.now
            let reply = try await RawHTTPConnection.open(from: "127.0.0.2", toPort: port).request("/v1/pings", method: "POST", headers: [("Content-Type", "application/json")], body: Self.body)
            #expect(reply.status == 200)
            #expect(ContinuousClock.now - started < .seconds(3), "the next client waited \(ContinuousClock.now - started)")
            withExtendedLifetime(held) {}
        }
    }

    /// A connection is bounded in what it carries: its last response says Connection: close.
    @Test func aConnectionEndsAfterItsShareOfRequests() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: {
            $0.maximumRequestsPerConnection = 3
            $0.rateLimit = 0
        }) { collector in
            let connection = try await RawHTTPConnection.open(toPort: collector.port)
            #expect(try await connection.request("/healthz").headers["connection"] != "close")
            #expect(try await connection.request("/healthz").headers["connection"] != "close")
            #expect(try await connection.request("/healthz").headers["connection"] == "close")
            #expect(await connection.isClosedByServer())
        }
    }

    /// /healthz was not rate-limited; now every route of the main port is (10 times the ingest rate).
    @Test func everyRouteIsRateLimited() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: {
            // Ten times this for the health check: 0.1 a second after a burst of 10, so that a slow
            // run of the thirty requests still meets the limit.
            $0.rateLimit = 0.01
            $0.rateBurst = 1
        }) { collector in
            var statuses: [Int] = []
            let connection = try await RawHTTPConnection.open(toPort: collector.port)
            for _ in 0..<30 { statuses.append(try await connection.request("/healthz").status) }
            #expect(statuses.prefix(10).allSatisfy { $0 == 200 })
            #expect(statuses.contains(429))
        }
    }

    /// /metrics showed today's recorded and duplicate counts to anyone; now it needs the read
    /// side's token, and the operations listener serves it to Prometheus on its own address.
    @Test func metricsNeedTheTokenOrTheOperationsListener() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let token = "a-token-of-more-than-sixteen"
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: {
            $0.adminToken = token
            $0.metricsText = { "usage_pings_recorded_total 1\n" }
            $0.metricsPort = 0
            $0.onOperationsServerRunning = { continuation.yield($0) }
        }) { collector in
            #expect(try await collector.get("/metrics").status == 401)
            let authorized = try await collector.get("/metrics", headers: [("Authorization", "Bearer \(token)")])
            #expect(authorized.status == 200)
            #expect(authorized.body.contains("usage_pings_recorded_total"))
            var iterator = ports.makeAsyncIterator()
            let operations = try #require(await iterator.next())
            let scraped = try await RawHTTPConnection.open(toPort: operations).request("/metrics")
            #expect(scraped.status == 200)
            #expect(scraped.body.contains("usage_pings_recorded_total"))
            #expect(try await RawHTTPConnection.open(toPort: operations).request("/readyz").status == 200)
            #expect(try await RawHTTPConnection.open(toPort: operations).request("/v1/reports/actives").status == 404, "the operations listener serves nothing else")
        }
    }

    /// Without a token, on a loopback bind, a request with another Host (a page that a browser
    /// resolved to 127.0.0.1) erased an instance, and a proxy's client reached it through
    /// X-Forwarded-For. Now both are refused and the instance stays.
    @Test func anonymousLoopbackAnswersOnlyThisMachine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite"), configure: { $0.rateLimit = 0 }) { collector in
            #expect(try await collector.post("/v1/pings", Self.body).status == 200)
            let path = "/v1/instances/i-0123456789abcdef0"
            let rebound = try await RawHTTPConnection.open(toPort: collector.port).request(path, method: "DELETE", host: "rebind.attacker.example", headers: [("Origin", "http://rebind.attacker.example")])
            #expect(rebound.status == 403)
            let forwarded = try await RawHTTPConnection.open(toPort: collector.port).request(path, method: "DELETE", headers: [("X-Forwarded-For", "203.0.113.9")])
            #expect(forwarded.status == 403)
            let reports = try await RawHTTPConnection.open(toPort: collector.port).request("/v1/reports/actives", host: "rebind.attacker.example:8080")
            #expect(reports.status == 403)
            #expect(try await collector.store.instanceRecord(InstanceID(validating: "i-0123456789abcdef0")) != nil, "nothing was erased")
            let local = try await RawHTTPConnection.open(toPort: collector.port).request(path, method: "DELETE", host: "localhost:\(collector.port)")
            #expect(local.status == 200)
            #expect(try await collector.store.instanceRecord(InstanceID(validating: "i-0123456789abcdef0")) == nil)
        }
    }
}
