import UsageStore
import GRDB

/// The SQLite schema, as append-only migrations: never edit one that has shipped, add a new one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-001-instance-days") { db in
            // Days are counted since 1970-01-01 UTC; times are milliseconds since the epoch.
            try db.execute(sql: """
                CREATE TABLE instance_days (
                    instance_id TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    region TEXT,
                    first_seen_ms INTEGER NOT NULL,
                    last_seen_ms INTEGER NOT NULL,
                    pings INTEGER NOT NULL CHECK (pings > 0),
                    PRIMARY KEY (instance_id, day)
                ) WITHOUT ROWID;
                CREATE INDEX instance_days_by_day ON instance_days (day, instance_id);
                CREATE TABLE instances (
                    instance_id TEXT NOT NULL PRIMARY KEY,
                    first_day INTEGER NOT NULL,
                    last_day INTEGER NOT NULL,
                    region TEXT
                ) WITHOUT ROWID;
                CREATE INDEX instances_by_first_day ON instances (first_day);
                """)
        }
        migrator.registerMigration("2026-11-29-002-settings") { db in
            // Facts about the database itself, such as the pseudonymisation key's fingerprint.
            try db.execute(sql: """
                CREATE TABLE settings (
                    name TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("2026-11-29-003-report-rollups") { db in
            try db.execute(sql: SQLiteFrozenMigrations.migration003)
        }
        migrator.registerMigration("2026-11-29-004-batched-rollups") { db in
            try db.execute(sql: SQLiteFrozenMigrations.migration004)
        }
        migrator.registerMigration("2026-12-03-005-weeks-before-1970") { db in
            try db.execute(sql: SQLiteFrozenMigrations.migration005)
        }
        migrator.registerMigration("2026-12-04-006-days-seen") { db in
            try db.execute(sql: SQLiteFrozenMigrations.migration006)
        }
        migrator.registerMigration("2026-12-04-007-rollups-written-by-the-fold") { db in
            try db.execute(sql: SQLiteFrozenMigrations.migration007)
        }
        return migrator
    }
}
