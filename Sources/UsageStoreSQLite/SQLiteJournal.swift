import GRDB
import UsageStore
import UsageTrackingCore

/// The SQLite store's write path: a ping is acknowledged once it is appended to the journal, a
/// database file of its own beside the main one (`<database>-pings`, WAL, `synchronous=FULL`),
/// and the append is committed; a fold applies the journal to `instance_days`, `instances` and the
/// rollups of the main file later, in large batches sorted by key.
///
/// An append touches only the last pages of one table, so a group commit of hundreds of pings
/// costs a few page writes and one fsync; the random B-tree pages of the day rows, the instance
/// rows and the rollups are paid by the fold, once per (instance, day) of a batch instead of once
/// per ping, and outside the acknowledgement's wait. Two files, two writers: an append never
/// waits for a fold (one file made every append wait behind a fold of thousands of pings:
/// BENCHMARKS.md).
///
/// Exactly once: a fold reads entries after the fold watermark (the last sequence number applied,
/// in the main file's `settings`), applies them and advances the watermark in one transaction of
/// the main file (``SQLiteTransaction/takeJournalEntries(limit:)``), then deletes the applied
/// entries from the journal. A kill between the two leaves
/// applied entries in the journal, below the watermark: they are skipped and deleted by the next
/// fold. Sequence numbers only grow (`AUTOINCREMENT`, and never below the watermark), and the
/// journal has one writer, so entries commit in sequence order and the watermark never passes an
/// entry not yet applied. Every other write of the main file (a merge, an erasure, a purge) folds
/// first, and so does every read, so reports count every acknowledged ping.
enum SQLiteJournal {
    /// Journal entries applied per fold transaction, at most.
    static let foldBatch = 50_000

    /// The journal file of a database at `path`.
    static func path(besides path: String) -> String { path + "-pings" }

    /// The journal file's schema, append-only like the main file's.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-12-03-001-ping-journal") { db in
            // Acknowledged pings (stored keys, day numbers) not yet deleted after their fold.
            try db.execute(sql: """
                CREATE TABLE ping_journal (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    instance_id TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    region TEXT,
                    received_ms INTEGER NOT NULL
                );
                """)
        }
        return migrator
    }

    /// An entry as the fold reads it.
    struct Entry {
        var sequence: Int64
        var key: String
        var ping: StoredDay
    }

    // MARK: The journal file

    /// Appends pings (stored keys and day numbers) in the caller's transaction, in order.
    static func append(_ journal: Database, _ pings: [(key: String, ping: StoredDay)]) throws {
        let insert = try journal.cachedStatement(sql: "INSERT INTO ping_journal (instance_id, day, region, received_ms) VALUES (?, ?, ?, ?)")
        for (key, ping) in pings {
            try insert.execute(arguments: [key, ping.day, ping.region, ping.firstSeen])
        }
    }

    /// Up to `limit` entries after `watermark`, oldest first.
    static func entries(_ journal: Database, after watermark: Int64, limit: Int) throws -> [Entry] {
        try Row.fetchAll(journal, sql: """
            SELECT seq, instance_id, day, region, received_ms FROM ping_journal WHERE seq > ? ORDER BY seq LIMIT ?
            """, arguments: [watermark, limit]).map { entry in
            Entry(sequence: entry[0], key: entry[1], ping: StoredDay(ping: entry[2], region: entry[3], at: entry[4]))
        }
    }

    /// Entries after `watermark`: acknowledged, not yet folded.
    static func length(_ journal: Database, after watermark: Int64) throws -> Int {
        try Int.fetchOne(journal, sql: "SELECT count(*) FROM ping_journal WHERE seq > ?", arguments: [watermark]) ?? 0
    }

    /// The stored keys of the journal's entries on `day`.
    static func instances(onDay day: Int, _ journal: Database, limit: Int) throws -> [String] {
        try String.fetchAll(journal, sql: "SELECT instance_id FROM ping_journal WHERE day = ? LIMIT ?", arguments: [day, limit])
    }

    /// Deletes the entries the main file has applied, and keeps new sequence numbers above the
    /// watermark (a journal file lost or replaced must not restart below it).
    static func deleteApplied(_ journal: Database, through watermark: Int64) throws {
        try journal.execute(sql: "DELETE FROM ping_journal WHERE seq <= ?", arguments: [watermark])
        try journal.execute(sql: """
            INSERT INTO sqlite_sequence (name, seq) SELECT 'ping_journal', ?
            WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ping_journal')
            """, arguments: [watermark])
        try journal.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'ping_journal' AND seq < ?", arguments: [watermark, watermark])
    }

    // MARK: The main file

    /// The last sequence number applied to the main file.
    static func watermark(_ db: Database) throws -> Int64 {
        try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'fold_watermark'").flatMap { Int64($0) } ?? 0
    }

    /// The tables that hold an instance's key for a day: the journal file's entries, the main
    /// file's day rows.
    enum KeyTable: String {
        case journal = "ping_journal"
        case dayRows = "instance_days"
    }

    /// Adds the ``FirstTodayCache/hash(_:)`` of each stored key with a row on `day` in `table` to
    /// `hashes`, one row at a time; false, stopping, once `hashes` holds more than `limit`.
    static func addKeyHashes(onDay day: Int, of table: KeyTable, _ db: Database, to hashes: inout Set<Int>, limit: Int) throws -> Bool {
        let keys = try String.fetchCursor(db, sql: "SELECT instance_id FROM \(table.rawValue) WHERE day = ?", arguments: [day])
        while let key = try keys.next() {
            hashes.insert(FirstTodayCache.hash(key))
            if hashes.count > limit { return false }
        }
        return true
    }

    /// Sets the fold watermark in the caller's transaction of the main file.
    static func setWatermark(_ sequence: Int64, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO settings (name, value) VALUES ('fold_watermark', ?)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """, arguments: [String(sequence)])
    }
}
