import UsageStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Why a query failed without an answer.
struct PostgresConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL closed before the query was answered" }
}

extension PostgresConnection {
    /// Every row of `query`, or an error as soon as the connection closes.
    ///
    /// PostgresNIO 1.33.2 writes a query without a promise for the write itself: a query that
    /// reaches a connection after its close has begun (a server restart cuts it while the pool
    /// still counts it idle) is dropped and its answer never comes, nor does cancellation end the
    /// wait (vapor/postgres-nio#487 fixed it and was reverted by #501). Seen in
    /// `PostgresRestartTests`: about one restart in three left a collector waiting forever. The
    /// close future fires before such a write is dropped, so racing the two fails the query
    /// instead. The query runs in a task of its own so that the wait can end without it; a task
    /// whose query was dropped stays suspended for good (one per such restart, a small leak).
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        typealias Waiter = CheckedContinuation<[PostgresRow], any Error>
        return try await withCheckedThrowingContinuation { (continuation: Waiter) in
            let waiter = Mutex<Waiter?>(continuation)
            let answer: @Sendable (Result<[PostgresRow], any Error>) -> Void = { result in
                waiter.withLock { waiting in
                    waiting?.resume(with: result)
                    waiting = nil
                }
            }
            let token = ConnectionCloseWatch.shared.watch(self) { answer(.failure(PostgresConnectionClosed())) }
            Task {
                do {
                    answer(.success(try await self.query(query, logger: logger).collect()))
                } catch {
                    answer(.failure(error))
                }
                ConnectionCloseWatch.shared.unwatch(self, token)
            }
        }
    }
}

/// The queries waiting on each open connection, told when it closes: one callback on each
/// connection's close future, however many queries it runs (a future keeps every callback until
/// it completes, and a pooled connection can live for days).
final class ConnectionCloseWatch: Sendable {
    static let shared = ConnectionCloseWatch()

    struct State {
        var nextToken = 0
        var waiting: [ObjectIdentifier: [Int: @Sendable () -> Void]] = [:]
    }

    let state = Mutex(State())

    /// Calls `onClose` when `connection` closes (at once if it has); returns a token for ``unwatch(_:_:)``.
    func watch(_ connection: PostgresConnection, _ onClose: @escaping @Sendable () -> Void) -> Int {
        let key = ObjectIdentifier(connection)
        let (token, first) = state.withLock { state in
            state.nextToken += 1
            let first = state.waiting[key] == nil
            state.waiting[key, default: [:]][state.nextToken] = onClose
            return (state.nextToken, first)
        }
        if first {
            connection.closeFuture.whenComplete { [self] _ in
                let closed = state.withLock { $0.waiting.removeValue(forKey: key) } ?? [:]
                for onClose in closed.values { onClose() }
            }
        }
        return token
    }

    func unwatch(_ connection: PostgresConnection, _ token: Int) {
        state.withLock { state in
            let key = ObjectIdentifier(connection)
            state.waiting[key]?[token] = nil
        }
    }
}

extension PostgresClient {
    /// Every row of `query`, on a connection of the pool (``PostgresConnection/rows(_:logger:)``).
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection { connection in try await connection.rows(query, logger: logger) }
    }
}
