-- 008: the manifest of imported log objects: each is read once, so a day's pings spread over
-- several objects and imports add up exactly. Rows written before it may hold imported pings it
-- has no record of ('imports' = 'unrecorded'): the next import reads every object once and
-- replaces them, then imports add ('recorded').

CREATE TABLE imported_objects (
    name TEXT NOT NULL PRIMARY KEY,
    size INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    head_sha256 TEXT NOT NULL,
    tail_sha256 TEXT NOT NULL,
    imported_ms INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO settings (name, value)
    SELECT 'imports', CASE WHEN EXISTS (SELECT 1 FROM instance_days) THEN 'unrecorded' ELSE 'recorded' END
    WHERE true
ON CONFLICT (name) DO NOTHING;
