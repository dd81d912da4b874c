import Hummingbird

/// The request context of every route of the collector.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Pings are tiny: nothing larger than this is read.
    public var maxUploadSize: Int { 1024 }
}
