import UsageStore
import GRDB

/// A bulk load into an empty database runs without the secondary indexes, so each row goes into
/// one B-tree, and builds them once at the end; a load cut short, even by a crash, gets them
/// built at its end or the next time the database opens (``SQLiteDriver/recover()``).
enum SQLiteBulkLoad {
    /// The secondary indexes, as migrations 001 and 003 created them. (SQLite stores
    /// `CREATE INDEX IF NOT EXISTS x` as `CREATE INDEX x`: the schema comes back the same text.)
    static let secondaryIndexes: [(name: String, columns: String)] = [
        ("instance_days_by_day", "instance_days (day, instance_id)"),
        ("instances_by_first_day", "instances (first_day)"),
        ("instances_by_last_day", "instances (last_day)"),
    ]

    /// Drops the secondary indexes when the database holds no day rows; returns whether it did.
    static func begin(_ db: Database) throws -> Bool {
        guard try !(Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM instance_days)") ?? false) else { return false }
        for index in secondaryIndexes {
            try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
        }
        try mark(db)
        return true
    }

    /// Marks the indexes dropped until the load is finished. Every batch of a load without the
    /// indexes marks them in its own transaction: if another process built them meanwhile (it
    /// opened the file and took the load for a crashed one), the mark is back, and the end of
    /// this load, or the next open after a crash, builds them.
    static func mark(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('indexes', 'dropped') ON CONFLICT (name) DO UPDATE SET value = 'dropped'")
    }

    /// Builds the secondary indexes a bulk load dropped.
    static func finish(_ db: Database) throws {
        for index in secondaryIndexes {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.columns)")
        }
        try db.execute(sql: "DELETE FROM settings WHERE name IN ('indexes', 'rollups')")
    }
}
