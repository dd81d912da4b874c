/// An import that cannot proceed (an unreadable file); bad lines are counted, never thrown.
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
