import NIOCore

/// An instant by which something must be done.
struct Deadline: Sendable {
    let end: NIODeadline

    init(end: NIODeadline) {
        self.end = end
    }

    /// The earlier of `seconds` from now and the end.
    func step(seconds: Int64) -> NIODeadline { min(.now() + .seconds(seconds), end) }

    var isExpired: Bool { NIODeadline.now() >= end }

    var remaining: TimeAmount { end - .now() }
}
