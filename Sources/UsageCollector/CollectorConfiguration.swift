import Logging

/// How the collector serves: where it listens and how it reads its clock.
public struct CollectorConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The collector's clock in milliseconds since the epoch; tests replace it.
    public var clock: @Sendable () -> Int64
    public var logger: Logger
    /// Called with the bound port once the server listens (useful with port 0).
    public var onServerRunning: @Sendable (Int) async -> Void = { _ in }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        clock: @escaping @Sendable () -> Int64 = CollectorConfiguration.systemClock,
        logger: Logger = Logger(label: "usage-collector")
    ) {
        self.host = host
        self.port = port
        self.clock = clock
        self.logger = logger
    }

    /// The system's real-time clock.
    @Sendable public static func systemClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
