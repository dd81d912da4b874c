import UsageStore
import Logging

/// The pool's background logger: the store's own handler, without PostgresNIO's warning that a
/// connection was asked for before the pool ran. A command runs the pool and its work side by side,
/// so the first query may well come first; it waits for the pool, and the warning would only
/// alarm whoever reads the logs.
struct PoolLogHandler: LogHandler {
    var wrapped: any LogHandler

    static let earlyLeaseWarning = "Trying to lease connection from `PostgresClient`"

    func log(event: LogEvent) {
        if event.level == .warning, event.message.description.hasPrefix(Self.earlyLeaseWarning) { return }
        wrapped.log(event: event)
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }
}

extension Logger {
    /// This logger, with the pool's early-lease warning left out.
    var forPostgresPool: Logger {
        var logger = self
        logger.handler = PoolLogHandler(wrapped: handler)
        return logger
    }
}
