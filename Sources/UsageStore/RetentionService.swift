import Logging
import ServiceLifecycle
import UsageTrackingCore

/// Purges per-day rows older than the retention period: once at start, then once a day, until
/// graceful shutdown.
public struct RetentionService<Store: UsageStore>: Service {
    let store: Store
    let retentionDays: Int
    let clock: @Sendable () -> Int64
    let logger: Logger

    public init(store: Store, retentionDays: Int, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.store = store
        self.retentionDays = retentionDays
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            await purgeOnce()
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .seconds(86_400))
                }
            } catch {
                return  // cancelled or shutting down
            }
        }
    }

    func purgeOnce() async {
        let today = UTCDay(containingMilliseconds: clock())
        do {
            let summary = try await store.purge(olderThan: retentionDays, today: today)
            logger.info("retention purge", metadata: [
                "retention.days": "\(retentionDays)", "purge.before": "\(summary.cutoff)",
                "purge.day_rows": "\(summary.dayRows)", "purge.instances": "\(summary.instances)",
            ])
        } catch {
            logger.error("retention purge failed", metadata: ["error": "\(error)"])
        }
    }
}
