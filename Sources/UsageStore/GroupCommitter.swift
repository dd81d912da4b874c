import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import UsageTrackingCore

/// Group commit: pings that arrive while a transaction is being written wait for the next one, so
/// many pings share one fsync. Each caller returns only after the transaction holding its ping
/// has committed.
///
/// It is a `Service`: run it in the application's service group, before the HTTP server, so that on
/// graceful shutdown the server stops taking requests first and the last batch is still written.
public final class GroupCommitter<Store: UsageStore>: Service {
    typealias Waiter = CheckedContinuation<RecordOutcome, any Error>

    struct State {
        var queue: [(ping: Ping, waiter: Waiter)] = []
        var isAccepting = true
    }

    let store: Store
    let maximumBatchSize: Int
    /// Pings that may wait for a commit at once; more are refused with ``Overloaded``.
    let maximumQueued: Int
    let logger: Logger
    let state = Mutex(State())
    let wakeUps: AsyncStream<Void>
    let wakeUpContinuation: AsyncStream<Void>.Continuation
    let batchSizes = Recorder(label: "usage_commit_batch_size", aggregate: true)
    let commitDurations = Timer(label: "usage_commit_duration_seconds")

    /// Thrown by ``record(_:)`` when `maximumQueued` pings already wait: the store is behind,
    /// and the client is better told to come back than kept waiting.
    public struct Overloaded: Error, CustomStringConvertible {
        public var description: String { "too many pings wait for a commit" }
    }

    /// What became of a ping handed to ``record(_:)``.
    enum Admission { case queued, shuttingDown, full }

    /// - Parameters:
    ///   - store: where batches are written.
    ///   - maximumBatchSize: the most pings in one transaction.
    ///   - maximumQueued: the most pings waiting for a commit; more are refused (``Overloaded``).
    public init(store: Store, maximumBatchSize: Int = 512, maximumQueued: Int = 1024, logger: Logger) {
        self.store = store
        self.maximumBatchSize = maximumBatchSize
        self.maximumQueued = maximumQueued
        self.logger = logger
        (self.wakeUps, self.wakeUpContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a ping for the next transaction and returns once that transaction has committed.
    /// With `mayShed` (the default), a ping that finds `maximumQueued` pings waiting is refused
    /// with ``Overloaded``; without, it waits its turn.
    public func record(_ ping: Ping, mayShed: Bool = true) async throws -> RecordOutcome {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let admission = state.withLock { state -> Admission in
                guard state.isAccepting else { return .shuttingDown }
                guard !mayShed || state.queue.count < maximumQueued else { return .full }
                state.queue.append((ping, waiter))
                return .queued
            }
            switch admission {
            case .queued: wakeUpContinuation.yield()
            case .shuttingDown: waiter.resume(throwing: StoreError.shutDown)
            case .full: waiter.resume(throwing: Overloaded())
            }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeUps {
                await flush()
            }
        } onGracefulShutdown: {
            self.wakeUpContinuation.finish()
        }
        // Graceful shutdown or cancellation: refuse new pings, write what is queued.
        state.withLock { $0.isAccepting = false }
        wakeUpContinuation.finish()
        await flush()
    }

    /// Writes queued pings, a batch per transaction, until the queue is empty.
    func flush() async {
        while true {
            let batch = state.withLock { state in
                let count = min(state.queue.count, maximumBatchSize)
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            do {
                let started = ContinuousClock.now
                let outcomes = try await store.record(batch.map(\.ping))
                commitDurations.record(duration: ContinuousClock.now - started)
                batchSizes.record(batch.count)
                for (entry, outcome) in zip(batch, outcomes) {
                    entry.waiter.resume(returning: outcome)
                }
                logger.trace("committed ping batch", metadata: ["batch.size": "\(batch.count)"])
            } catch {
                logger.error("could not commit ping batch", metadata: ["batch.size": "\(batch.count)", "error": "\(error)"])
                for entry in batch {
                    entry.waiter.resume(throwing: error)
                }
            }
        }
    }
}
