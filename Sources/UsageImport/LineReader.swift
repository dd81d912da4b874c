#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a regular file line by line, a 64 KiB block at a time, never holding more than one line
/// of at most `maximumLineLength` bytes: a longer line is measured and skipped, not kept.
public final class LineReader {
    /// The longest line an importer reads, line break excluded: 64 KiB.
    ///
    /// A CSV line (`time,instance_id,region`) is under 100 bytes, and an S3 server access log
    /// record under 2 KiB in practice: its only long fields (the request line, the referrer, the
    /// user agent) are bounded by the request S3 accepts, a few KiB. 64 KiB is well above any real
    /// line, and small enough that a file that is not a log (a binary, a line without end) costs
    /// no memory: such a line is counted as bad and the reader skips to the next line break.
    public static let maximumLineLength = 64 << 10

    /// One line of the file.
    public enum Line {
        /// The line's bytes without its line ending; valid until the next call.
        case text(UnsafeBufferPointer<UInt8>)
        /// A line longer than `maximumLineLength`, skipped: its length without the line break.
        case tooLong(length: Int)
    }

    let file: RegularFile
    let maximumLineLength: Int
    /// What was read from the file and not yet handed out: `block[start..<end]`.
    private let block: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// The line being gathered: `line[0..<lineCount]`, at most `maximumLineLength` bytes.
    private let line: UnsafeMutablePointer<UInt8>
    private var lineCount = 0
    /// Bytes read so far, for progress.
    public private(set) var bytesRead = 0

    /// Opens `path`, which must be a regular file (else the error names it and what it is).
    public convenience init(path: String, maximumLineLength: Int = LineReader.maximumLineLength, blockSize: Int = 64 << 10) throws(ImportError) {
        self.init(file: try RegularFile(path: path), maximumLineLength: maximumLineLength, blockSize: blockSize)
    }

    /// Reads an open file from `offset` on.
    init(file: RegularFile, from offset: Int = 0, maximumLineLength: Int = LineReader.maximumLineLength, blockSize: Int = 64 << 10) {
        self.file = file
        if offset > 0 { lseek(file.descriptor, off_t(offset), SEEK_SET) }
        self.maximumLineLength = max(1, maximumLineLength)
        block = .allocate(byteCount: max(1, blockSize), alignment: 16)
        line = .allocate(capacity: self.maximumLineLength)
    }

    deinit {
        block.deallocate()
        line.deallocate()
    }

    /// The next line, `nil` at the end of the file.
    public func nextLine() throws(ImportError) -> Line? {
        lineCount = 0
        var length = 0
        var sawAnything = false
        while true {
            if start == end {
                if atEnd { break }
                let count = try file.readSome(into: block)
                if count == 0 {
                    atEnd = true
                    break
                }
                bytesRead += count
                start = 0
                end = count
            }
            sawAnything = true
            let bytes = UnsafeRawBufferPointer(rebasing: block[start..<end])
            // memchr: even a debug build skips a 400 MB line in a third of a second.
            let newline = memchr(bytes.baseAddress!, 0x0A, bytes.count).map { bytes.baseAddress!.distance(to: UnsafeRawPointer($0)) }
            let piece = UnsafeRawBufferPointer(rebasing: bytes[..<(newline ?? bytes.count)])
            if length + piece.count <= maximumLineLength, let base = piece.baseAddress {
                (line + lineCount).update(from: base.assumingMemoryBound(to: UInt8.self), count: piece.count)
                lineCount += piece.count
            }  // else too long: from here on only counted
            length += piece.count
            if let newline {
                start += newline + 1
                return finish(length: length)
            }
            start = end
        }
        return sawAnything ? finish(length: length) : nil
    }

    private func finish(length: Int) -> Line {
        guard length <= maximumLineLength else { return .tooLong(length: length) }
        while lineCount > 0, line[lineCount - 1] == 0x0D { lineCount -= 1 }
        return .text(UnsafeBufferPointer(start: line, count: lineCount))
    }
}
