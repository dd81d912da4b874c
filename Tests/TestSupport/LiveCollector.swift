import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import UsageCollector
import UsageStore
import UsageTrackingCore

/// The real collector application on 127.0.0.1 with a port of its own, over a real SQLite file,
/// driven through real HTTP by AsyncHTTPClient. Stops everything it started before returning.
public struct LiveCollector: Sendable {
    public let port: Int
    public let store: SQLiteUsageStore

    public struct Reply: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: String

        /// The body parsed as a JSON object.
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    public static func run<T: Sendable>(
        databasePath: String,
        clock: @escaping @Sendable () -> Int64 = CollectorConfiguration.systemClock,
        configure: (inout CollectorConfiguration) -> Void = { _ in },
        _ body: (LiveCollector) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "collector-test")
        logger.logLevel = .warning
        let store = try SQLiteUsageStore(path: databasePath, logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var configuration = CollectorConfiguration(host: "127.0.0.1", port: 0, clock: clock, logger: logger)
        configuration.onServerRunning = { port in portContinuation.yield(port) }
        configure(&configuration)
        let app = buildApplication(configuration: configuration, store: store)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw StoreError("the collector did not start") }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(LiveCollector(port: port, store: store)))
            } catch {
                result = .failure(error)
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    public func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    public func post(_ path: String, _ body: String, headers: [(String, String)] = [("Content-Type", "application/json")]) async throws -> Reply {
        try await request(.POST, path, headers: headers, body: body)
    }

    public func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await request(.GET, path, headers: headers)
    }

    /// Every stored day, as the store reports it.
    public func storedDays() async throws -> [DailyActivity] {
        try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
    }
}

/// A temporary folder removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("usage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A clock the test sets.
public final class TestClock: Sendable {
    let milliseconds: Mutex<Int64>

    public init(_ start: Int64) { milliseconds = Mutex(start) }

    public func set(_ value: Int64) { milliseconds.withLock { $0 = value } }

    public var read: @Sendable () -> Int64 { { self.milliseconds.withLock { $0 } } }
}

import Synchronization
import UsageStoreSQLite
