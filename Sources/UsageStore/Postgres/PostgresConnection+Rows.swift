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
    /// wait (vapor/postgres-nio#487, merged and reverted; #497 open). Seen in
    /// `PostgresRestartTests`: about one restart in three left a collector waiting forever. The
    /// close future fires before such a write is dropped, so racing the two fails the query
    /// instead; the query runs in a task of its own so that the wait can end without it.
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
            closeFuture.whenComplete { _ in answer(.failure(PostgresConnectionClosed())) }
            Task {
                do {
                    answer(.success(try await self.query(query, logger: logger).collect()))
                } catch {
                    answer(.failure(error))
                }
            }
        }
    }
}

extension PostgresClient {
    /// Every row of `query`, on a connection of the pool (``PostgresConnection/rows(_:logger:)``).
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection { connection in try await connection.rows(query, logger: logger) }
    }
}
