import Hummingbird

/// The request context of every route of the collector.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, for rate limiting (never stored).
    public let remoteAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Pings are tiny: nothing larger than this is read.
    public var maxUploadSize: Int { 1024 }
}
