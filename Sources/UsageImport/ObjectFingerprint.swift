import Crypto
import UsageStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What an import's manifest keeps of a log object (``ImportedObject``), read from an open file:
/// its size and modification time from `fstat`, and SHA-256 of its first and last kilobyte.
///
/// The two kilobytes, not the whole object: a folder of years of small log objects is checked
/// without reading it (BENCHMARKS.md measures both); what the manifest must catch is an object
/// that grew or was rewritten since it was imported (a partial download finished by the next
/// sync), and that changes its size or its last kilobyte.
enum ObjectFingerprint {
    static let window = 1024

    /// `name`'s record as `file` is now.
    static func of(_ file: RegularFile, name: String) throws(ImportError) -> ImportedObject {
        let (size, modified) = try status(file)
        let span = min(window, size)
        return ImportedObject(
            name: name, size: size, modified: modified,
            head: try digest(file, from: 0, count: span), tail: try digest(file, from: size - span, count: span)
        )
    }

    /// The size and modification time (milliseconds) of the open file.
    static func status(_ file: RegularFile) throws(ImportError) -> (size: Int, modified: Int64) {
        var status = stat()
        guard fstat(file.descriptor, &status) == 0 else { throw ImportError("cannot read \(file.path): \(String(cString: strerror(errno)))") }
        return (Int(status.st_size), Int64(status.st_mtim.tv_sec) * 1000 + Int64(status.st_mtim.tv_nsec) / 1_000_000)
    }

    /// SHA-256, in hex, of `count` bytes of `file` from `offset`.
    static func digest(_ file: RegularFile, from offset: Int, count: Int) throws(ImportError) -> String {
        let bytes = try read(file, from: offset, count: count)
        return SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func read(_ file: RegularFile, from offset: Int, count: Int) throws(ImportError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = bytes.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { throw ImportError("cannot read \(file.path): \(read < 0 ? String(cString: strerror(errno)) : "it ended early")") }
            done += read
        }
        return bytes
    }

    /// Where to read `file` (its record now `now`) from when it is `old` grown: the end of `old`'s
    /// last whole line (a line `old` cut off was counted as malformed, not as a ping), or `nil`
    /// when `old` is not a beginning of it (rewritten, or shorter) and its pings cannot be told apart.
    static func growth(of file: RegularFile, from old: ImportedObject, now: ImportedObject) throws(ImportError) -> Int? {
        guard now.size > old.size else { return nil }
        let span = min(window, old.size)
        guard try digest(file, from: 0, count: span) == old.head, try digest(file, from: old.size - span, count: span) == old.tail else { return nil }
        // Back from the old end to the last newline it held.
        var end = old.size
        while end > 0 {
            let start = max(0, end - 4096)
            let chunk = try read(file, from: start, count: end - start)
            if let newline = chunk.lastIndex(of: 0x0A) { return start + newline + 1 }
            end = start
        }
        return 0
    }
}
