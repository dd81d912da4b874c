/// Cuts a stream of byte chunks (a file read in blocks, a gzip stream) into lines, carrying a line
/// that spans two chunks over, so a log is never loaded into memory whole.
public struct S3AccessLogLineSplitter: Sendable {
    /// A line longer than this is cut to this length and the rest of it dropped; S3 records are
    /// far shorter, so only garbage (a binary file, say) ever reaches it.
    public let maximumLineLength: Int
    /// Lines handed out so far: the number of the last line given to `body`, counting from 1.
    public private(set) var lineNumber = 0

    private var pending: [UInt8] = []
    private var droppingRestOfLine = false

    public init(maximumLineLength: Int = 1 << 20) {
        self.maximumLineLength = max(1, maximumLineLength)
    }

    /// Hands every line that `chunk` completes to `body`, without its `\n` (a `\r` before it is
    /// left for the parser, which ignores it).
    public mutating func consume(
        _ chunk: UnsafeRawBufferPointer,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        try chunk.withMemoryRebound(to: UInt8.self) { try consume($0, body) }
    }

    /// Hands every line that `bytes` completes to `body`, without its `\n`.
    public mutating func consume(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        var start = 0
        while start < bytes.count {
            let newline = bytes.firstIndex(of: UInt8(ascii: "\n"), in: start..<bytes.count)
            let piece = UnsafeBufferPointer(rebasing: bytes[start..<newline])
            let complete = newline < bytes.count
            if pending.isEmpty && !droppingRestOfLine && complete && piece.count <= maximumLineLength {
                // The common case: a whole line inside this chunk, handed out in place.
                lineNumber += 1
                try body(piece)
            } else {
                if !droppingRestOfLine {
                    pending.append(contentsOf: piece.prefix(maximumLineLength - pending.count))
                    droppingRestOfLine = pending.count >= maximumLineLength && !complete
                }
                if complete {
                    try emitPending(body)
                }
            }
            start = newline &+ 1
        }
    }

    /// Hands out the last line when the stream did not end with `\n`; call once at the end.
    public mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        if !pending.isEmpty || droppingRestOfLine {
            try emitPending(body)
        }
    }

    private mutating func emitPending(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        lineNumber += 1
        droppingRestOfLine = false
        defer { pending.removeAll(keepingCapacity: true) }
        try pending.withUnsafeBufferPointer { try body($0) }
    }
}
