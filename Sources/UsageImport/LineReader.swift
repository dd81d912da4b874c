#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line with `getline`, never holding more than one line in memory.
public final class LineReader {
    let file: UnsafeMutablePointer<FILE>
    var buffer: UnsafeMutablePointer<CChar>? = nil
    var capacity = 0
    /// Bytes read so far, for progress.
    public private(set) var bytesRead = 0

    public init(path: String) throws(ImportError) {
        guard let file = fopen(path, "rb") else {
            throw ImportError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    /// The next line without its line ending, as bytes; `nil` at the end of the file.
    public func nextLine() -> UnsafeBufferPointer<UInt8>? {
        let length = getline(&buffer, &capacity, file)
        guard length >= 0, let buffer else { return nil }
        bytesRead += length
        var end = length
        while end > 0, buffer[end - 1] == 0x0A || buffer[end - 1] == 0x0D { end -= 1 }
        return UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: end)
    }
}
