#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file opened for reading, and nothing else: the importers' only way to open a file.
///
/// A named pipe blocks `open` until a writer comes, and a device such as `/dev/zero` never ends:
/// either would hang an import or fill memory. So the path's type is checked before it is
/// opened, the open never blocks (`O_NONBLOCK`, harmless on a regular file) and, when asked,
/// follows no symbolic link at the last step (`O_NOFOLLOW`), and `fstat` on the open descriptor
/// confirms a regular file, whatever the path was swapped for in between.
final class RegularFile {
    let descriptor: Int32
    let path: String

    /// Opens `path`; `followLink: false` refuses a symbolic link at its last component.
    init(path: String, followLink: Bool = true) throws(ImportError) {
        self.path = path
        if let kind = Self.kind(of: path, followLink: followLink), kind != .regular {
            throw ImportError("\(path) is not a regular file: it is \(kind.description)")
        }
        let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW)
        let descriptor = open(path, flags)
        guard descriptor >= 0 else {
            throw ImportError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, FileKind(mode: status.st_mode) == .regular else {
            let kind = FileKind(mode: status.st_mode)
            close(descriptor)
            throw ImportError("\(path) is not a regular file: it is \(kind.description)")
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Reads up to `bytes.count` bytes into `bytes`; how many (0 at the end of the file).
    func readSome(into bytes: UnsafeMutableRawBufferPointer) throws(ImportError) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        while true {
            let count = read(descriptor, base, bytes.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ImportError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Fills `bytes` from the file (fewer bytes only at its end): how many, and the error that
    /// stopped it, if one did.
    func fill(_ bytes: UnsafeMutableRawBufferPointer) -> (Int, ImportError?) {
        var filled = 0
        while filled < bytes.count {
            do {
                let count = try readSome(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]))
                if count == 0 { break }
                filled += count
            } catch {
                return (filled, error)
            }
        }
        return (filled, nil)
    }

    /// The type of what `path` names (`stat`, or `lstat` when not following a link); `nil` when
    /// it cannot be told (the open then says why).
    static func kind(of path: String, followLink: Bool) -> FileKind? {
        var status = stat()
        let result = followLink ? stat(path, &status) : lstat(path, &status)
        return result == 0 ? FileKind(mode: status.st_mode) : nil
    }
}

/// What a path names, in the words an import's messages use.
enum FileKind: Equatable {
    case regular, folder, symbolicLink, namedPipe, characterDevice, blockDevice, socket, unknown

    /// From `st_mode` (the file-type bits are the same on Linux and Darwin).
    init(mode: mode_t) {
        switch UInt32(mode) & 0o170000 {
        case 0o100000: self = .regular
        case 0o040000: self = .folder
        case 0o120000: self = .symbolicLink
        case 0o010000: self = .namedPipe
        case 0o020000: self = .characterDevice
        case 0o060000: self = .blockDevice
        case 0o140000: self = .socket
        default: self = .unknown
        }
    }

    var description: String {
        switch self {
        case .regular: "a regular file"
        case .folder: "a folder"
        case .symbolicLink: "a symbolic link"
        case .namedPipe: "a named pipe"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .unknown: "not a file"
        }
    }
}
