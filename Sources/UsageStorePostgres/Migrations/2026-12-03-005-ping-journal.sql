-- 005: the ping journal (``PostgresJournal``): `usage_journal_append`, in use, and
-- `usage_fold_journal`.

CREATE TABLE ping_journal (
    -- An identity, not a serial: a role with only table rights (INSERT) can append.
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    region text COLLATE "C",
    received_ms bigint NOT NULL
);

-- For first_today: is an (instance, day) already waiting in the journal?
CREATE INDEX ping_journal_by_instance_day ON ping_journal (instance_id, day);

-- Appends pings in order; returns for each whether it is the first of its (instance, day): no
-- row stored, none in the journal, none earlier in the batch. Each (instance, day) of the batch
-- is locked first (transaction advisory locks, in key order, so batches never deadlock), and
-- the check runs after, in a new snapshot: of two collectors appending the same new
-- (instance, day) at once, the second waits for the first to commit and sees its entry.
CREATE FUNCTION usage_journal_append(ids text[], days integer[], regions text[], times bigint[]) RETURNS boolean[]
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    outcomes boolean[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(k.id || ':' || k.day, 0))
    FROM (SELECT DISTINCT u.id, u.day FROM unnest(ids, days) AS u(id, day) ORDER BY 1, 2) k;
    SELECT array_agg(
               NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = b.id AND d.day = b.day)
               AND NOT EXISTS (SELECT 1 FROM ping_journal j WHERE j.instance_id = b.id AND j.day = b.day)
               AND NOT EXISTS (SELECT 1 FROM unnest(ids, days) WITH ORDINALITY AS e(id, day, k)
                               WHERE e.id = b.id AND e.day = b.day AND e.k < b.k)
               ORDER BY b.k)
    INTO outcomes
    FROM unnest(ids, days) WITH ORDINALITY AS b(id, day, k);
    INSERT INTO ping_journal (instance_id, day, region, received_ms)
    SELECT u.id, u.day, nullif(u.region, ''), u.t
    FROM unnest(ids, days, regions, times) WITH ORDINALITY AS u(id, day, region, t, k) ORDER BY u.k;
    RETURN outcomes;
END
$$;

-- Applies up to `lim` of the oldest entries and deletes them; returns how many.
CREATE FUNCTION usage_fold_journal(lim integer) RETURNS integer
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    ids text[];
    days integer[];
    regions text[];
    times bigint[];
BEGIN
    WITH taken AS (
        DELETE FROM ping_journal j
        WHERE j.seq IN (SELECT l.seq FROM ping_journal l ORDER BY l.seq LIMIT lim FOR UPDATE)
        RETURNING j.seq, j.instance_id, j.day, j.region, j.received_ms
    )
    SELECT array_agg(t.instance_id ORDER BY t.seq), array_agg(t.day ORDER BY t.seq),
           array_agg(coalesce(t.region, '') ORDER BY t.seq), array_agg(t.received_ms ORDER BY t.seq)
    INTO ids, days, regions, times
    FROM taken t;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM usage_record(ids, days, regions, times);
    RETURN array_length(ids, 1);
END
$$;
