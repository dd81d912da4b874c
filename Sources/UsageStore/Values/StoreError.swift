/// A failure of the storage layer. Its text is for logs and the operator's terminal, never for
/// clients.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static let shutDown = StoreError("the store is shutting down and accepts no more pings")
}
