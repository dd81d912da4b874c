import Foundation

/// The bytes a SQLite store keeps on disk: its database file and every file beside it whose name
/// starts with the database's (the write-ahead log, the shared-memory file, the ping journal and
/// its own log), so a scan of them sees whatever the store wrote.
public enum DatabaseFiles {
    public static func bytes(of path: String) -> Data {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let name = url.lastPathComponent
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var bytes = Data()
        for file in files.sorted() where file.hasPrefix(name) {
            if let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) { bytes.append(data) }
        }
        return bytes
    }
}
