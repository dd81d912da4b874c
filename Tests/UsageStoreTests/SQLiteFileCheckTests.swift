import Foundation
import GRDB
import Testing
import TestSupport
import UsageStore
@testable import UsageStoreSQLite

/// Files the check must let through: it refuses damage, never a healthy database.
@Suite struct SQLiteFileCheckTests {
    /// A database SQLite wrote with `pageSize`, closed cleanly (no log beside it).
    static func database(at path: String, pageSize: Int) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = \(pageSize)")
            try db.execute(sql: "CREATE TABLE t (x TEXT)")
            for n in 0..<50 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [String(repeating: "x", count: 2000) + "\(n)"]) }
        }
        try queue.close()
    }

    @Test func anEmptyFileIsANewDatabase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        try SQLiteFileCheck.check(path)
    }

    @Test(arguments: [512, 4096, 65_536])
    func aHealthyDatabaseOfAnyPageSizePasses(_ pageSize: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        try Self.database(at: path, pageSize: pageSize)
        let header = try #require(FileManager.default.contents(atPath: path)).prefix(18)
        #expect(Int(header[16]) << 8 | Int(header[17]) == (pageSize == 65_536 ? 1 : pageSize), "65,536 is written as 1")
        try SQLiteFileCheck.check(path)
    }

    @Test func aShortFileBesideALogIsLeftToSQLite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        try Self.database(at: path, pageSize: 4096)
        let whole = try #require(FileManager.default.contents(atPath: path))
        try whole.prefix(whole.count / 2 / 4096 * 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { try SQLiteFileCheck.check(path) }
        // A log or shared-memory file beside it: mid-checkpoint or in use, not judged by size.
        for sidecar in ["-wal", "-shm"] {
            #expect(FileManager.default.createFile(atPath: path + sidecar, contents: Data(count: 32)))
            try SQLiteFileCheck.check(path)
            try FileManager.default.removeItem(atPath: path + sidecar)
        }
    }
}
