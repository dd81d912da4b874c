import UsageStore
import Foundation

/// Checks a SQLite file before anything opens it for writing, so a file that is not a database,
/// a damaged one, or one on a read-only volume gets an error naming the file and what to do, and
/// is left exactly as it was (no `-wal`, `-shm` or `-pings` file is created beside it either).
///
/// Reads the 100-byte header (https://www.sqlite.org/fileformat.html#the_database_header): the
/// magic string, the page size, and the page count that the header holds when it is valid.
enum SQLiteFileCheck {
    /// Throws a ``StoreError`` if the collector cannot use the file at `path`; a missing file is
    /// fine when its folder is writable (it will be created).
    static func check(_ path: String, role: String = "database") throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError("cannot open the SQLite \(role) \(path): the folder \(folder) does not exist; create it or point --database elsewhere")
        }
        // access(2) answers EROFS for a read-only mount even to root, unlike the permission bits.
        guard access(folder, W_OK) == 0 else {
            let code = errno
            throw StoreError("cannot open the SQLite \(role) \(path): the folder \(folder) is not writable (\(Self.reason(code))); the collector writes the database and its -wal, -shm and -pings files there: mount it read-write or point --database at a writable folder")
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
        guard !isFolder.boolValue else {
            throw StoreError("cannot open the SQLite \(role) \(path): it is a folder, not a file; point --database at a file inside it (for example \(path)/usage.sqlite)")
        }
        guard access(path, R_OK | W_OK) == 0 else {
            let code = errno
            throw StoreError("cannot open the SQLite \(role) \(path): it is not writable (\(Self.reason(code))); the collector writes to it: make it writable by the collector's user, or mount its volume read-write")
        }
        // Beside a log, a shared-memory index or a rollback journal, the file may be mid-checkpoint
        // or in use by another process: its size is then not compared with its header. Looked at
        // before the header is read, so a checkpoint between the two cannot look like damage.
        let inUse = ["-wal", "-shm", "-journal"].contains { FileManager.default.fileExists(atPath: path + $0) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError("cannot open the SQLite \(role) \(path): it cannot be read")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        // An empty file is a new database to SQLite.
        guard size > 0 else { return }
        let magic = Data("SQLite format 3\u{0}".utf8)
        guard header.count == 100, header.prefix(16) == magic else {
            throw StoreError("cannot open the SQLite \(role) \(path): it is not a SQLite database (it does not begin with the SQLite header); point --database at the collector's database, or move this file away to start a new one")
        }
        let bytes = [UInt8](header)
        func bigEndian(_ offset: Int, _ count: Int) -> Int {
            bytes[offset..<offset + count].reduce(0) { $0 << 8 | Int($1) }
        }
        let pageSize = bigEndian(16, 2) == 1 ? 65_536 : bigEndian(16, 2)
        let damaged = "cannot open the SQLite \(role) \(path): it is damaged"
        let advice = "restore it (and its -wal file, if any) from a backup; the collector has left it as it is"
        guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0 else {
            throw StoreError("\(damaged) (its header gives a page size of \(pageSize) bytes); \(advice)")
        }
        // The page count in the header is valid when its version-valid-for number equals the
        // change counter.
        let pageCount = bigEndian(28, 4)
        let headerCountValid = bigEndian(92, 4) == bigEndian(24, 4)
        if headerCountValid, pageCount > 0, !inUse, size < pageCount * pageSize {
            throw StoreError("\(damaged): truncated, its header counts \(pageCount) pages of \(pageSize) bytes (\(pageCount * pageSize) bytes) and the file holds \(size); \(advice)")
        }
        if !inUse, size % pageSize != 0 {
            throw StoreError("\(damaged): its size, \(size) bytes, is not a whole number of \(pageSize)-byte pages; \(advice)")
        }
    }

    static func reason(_ code: Int32) -> String {
        code == EROFS ? "read-only file system" : String(cString: strerror(code))
    }

    /// Creates an empty file at `path` with mode 0600 when there is none (SQLite takes an empty
    /// file for a new database); an existing file keeps its mode.
    static func createIfMissing(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw StoreError("cannot create the SQLite file \(path): \(Self.reason(errno))")
        }
    }
}
