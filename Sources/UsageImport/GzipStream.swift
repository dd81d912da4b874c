// zlib itself, through compress-nio's C module (UsageImport already depends on compress-nio): its
// streaming API hides where a gzip member ends, which is what tells a complete file from a cut one.
import CCompressZlib

/// Gunzips a file a block at a time, member after member (a `cat a.gz b.gz` file is one log, as
/// gzip reads it), and knows whether the file ended where its compressed data does.
final class GzipStream {
    private let stream: UnsafeMutablePointer<z_stream>
    /// Where each block is inflated, a window at a time.
    private let window: UnsafeMutableRawBufferPointer
    /// A member has begun and not yet ended: a file that stops here was cut.
    private(set) var isInsideMember = false
    /// A member ended: the next byte starts another, on a reset stream.
    private var memberEnded = false

    init(windowSize: Int = 1 << 20) throws(ImportError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        window = .allocate(byteCount: max(1, windowSize), alignment: 16)
        // 16 + 15: a gzip header and trailer around a 32 KiB deflate window.
        guard CCompressZlib_inflateInit2(stream, 16 + 15) == Z_OK else {
            stream.deallocate()
            window.deallocate()
            throw ImportError("cannot start a gzip stream")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        window.deallocate()
    }

    /// Inflates `chunk`, handing the bytes it yields to `body` a window at a time; false when the
    /// chunk is not valid gzip data (the rest of the file cannot be read).
    func decode(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let input = chunk.baseAddress, chunk.count > 0 else { return true }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(chunk.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while stream.pointee.avail_in > 0 {
            if memberEnded {
                guard inflateReset(stream) == Z_OK else { return false }
                memberEnded = false
            }
            isInsideMember = true
            stream.pointee.next_out = window.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(window.count)
            let result = inflate(stream, Z_NO_FLUSH)
            let produced = window.count - Int(stream.pointee.avail_out)
            if produced > 0 { body(UnsafeRawBufferPointer(rebasing: window[..<produced])) }
            switch result {
            case Z_STREAM_END:
                isInsideMember = false
                memberEnded = true
            case Z_OK:
                continue  // the input is used up, or the window full: the loop tells
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                continue
            default:
                return false
            }
        }
        return true
    }
}
