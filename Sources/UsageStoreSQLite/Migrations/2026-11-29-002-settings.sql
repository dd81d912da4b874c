-- 002: facts about the database itself, such as the pseudonymisation key's fingerprint.

CREATE TABLE settings (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
