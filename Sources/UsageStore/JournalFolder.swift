import Logging
import Metrics
import ServiceLifecycle

/// Folds a store's ping journal into its day rows and rollups every `interval`, and once more on
/// graceful shutdown, so the journal stays short and the reports' own fold-first has little to do.
///
/// Run it after the group committer in a service group (the store lists it among its
/// ``UsageStore/services``): shutdown stops the committer first, then this, which folds the last
/// acknowledged pings before the store closes. A fold that fails (a full disk) is logged and
/// tried again at the next interval; nothing is lost, since the entries stay in the journal.
public struct JournalFolder: Service {
    let fold: @Sendable () async throws -> Int
    let pending: @Sendable () -> Int?
    let interval: Duration
    let logger: Logger
    let foldSizes = Recorder(label: "usage_fold_batch_size", aggregate: true)
    let foldDurations = Timer(label: "usage_fold_duration_seconds")

    /// - Parameters:
    ///   - pending: how many entries wait to be folded, `nil` when the store cannot tell cheaply
    ///     (PostgreSQL, where other collectors append too): then it folds at every interval.
    ///   - fold: applies every journal entry, returns how many.
    public init(
        interval: Duration = .milliseconds(250), logger: Logger,
        pending: @escaping @Sendable () -> Int?, fold: @escaping @Sendable () async throws -> Int
    ) {
        self.fold = fold
        self.pending = pending
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break  // cancelled or shutting down
            }
            if Task.isCancelled { break }
            await foldOnce()
        }
        // Graceful shutdown: the last acknowledged pings. (Cancelled: they wait in the journal.)
        if !Task.isCancelled { await foldOnce() }
    }

    func foldOnce() async {
        let pending = pending()
        if let pending {
            guard pending > 0 else { return }
            logger.debug("folding the ping journal", metadata: ["fold.pending": "\(pending)"])
        }
        let started = ContinuousClock.now
        do {
            let folded = try await fold()
            guard folded > 0 else { return }
            foldDurations.record(duration: ContinuousClock.now - started)
            foldSizes.record(folded)
            logger.trace("folded the ping journal", metadata: ["fold.pings": "\(folded)"])
        } catch {
            logger.error("could not fold the ping journal; the pings stay in it and the next fold tries again", metadata: ["error": "\(error)"])
        }
    }
}
