-- Facts about the database itself, such as the pseudonymisation key's fingerprint.
CREATE TABLE settings (name text NOT NULL PRIMARY KEY, value text NOT NULL);
