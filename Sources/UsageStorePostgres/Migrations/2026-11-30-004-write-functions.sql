-- 004: record, merge, forget and purge as PL/pgSQL functions.

-- Locks every instance of a batch in instance-ID order, inserting the new ones (DO UPDATE ... WHERE
-- false locks a row without changing it): the first thing every write does.
CREATE FUNCTION usage_lock_instances(ids text[], days integer[], regions text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO instances AS i (instance_id, first_day, last_day, region)
        SELECT DISTINCT ON (p.id) p.id, p.day, p.day, nullif(p.region, '')
        FROM unnest(ids, days, regions) WITH ORDINALITY AS p(id, day, region, k)
        ORDER BY p.id, p.k
    ON CONFLICT (instance_id) DO UPDATE SET first_day = i.first_day WHERE false
$$;

-- Per instance of a batch, the days whose rows change (the batch's days, or every day when the batch
-- reaches before the instance's first day: its retention cohort may move), and the scopes to look at.
CREATE FUNCTION usage_changed_ranges(ids text[], days integer[], regions text[],
                                     OUT touched text[], OUT los integer[], OUT his integer[],
                                     OUT scope_ids text[], OUT scopes text[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT array_agg(b.id ORDER BY b.id), array_agg(b.lo ORDER BY b.id),
           array_agg(CASE WHEN b.lo < i.first_day THEN greatest(b.hi, i.last_day) ELSE b.hi END ORDER BY b.id)
    INTO touched, los, his
    FROM (SELECT p.id, min(p.day) AS lo, max(p.day) AS hi FROM unnest(ids, days) AS p(id, day) GROUP BY p.id) b
    JOIN instances i ON i.instance_id = b.id;
    -- The scopes whose window entries can change: every scope of a row in the range now, and every
    -- scope the batch can give a row (a new row, or a region filled in).
    SELECT array_agg(s.id), array_agg(s.scope) INTO scope_ids, scopes FROM (
        SELECT p.id, '*' AS scope FROM unnest(ids) AS p(id)
        UNION SELECT p.id, coalesce(nullif(p.region, ''), 'unknown') FROM unnest(ids, regions) AS p(id, region)
        UNION SELECT d.instance_id, coalesce(d.region, 'unknown')
              FROM unnest(touched, los, his) AS r(id, lo, hi)
              JOIN instance_days d ON d.instance_id = r.id AND d.day BETWEEN r.lo AND r.hi
    ) s;
END
$$;

-- Pings in order, stored as SQLite's ping-by-ping upserts store them, in one statement for the
-- instances and one for the days; returns for each ping whether it was the first of its (instance, day).
CREATE FUNCTION usage_record(ids text[], days integer[], regions text[], times bigint[]) RETURNS boolean[]
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    ranges record;
    before usage_rollup_delta[];
    outcomes boolean[];
BEGIN
    PERFORM usage_lock_instances(ids, days, regions);
    ranges := usage_changed_ranges(ids, days, regions);
    before := ARRAY(SELECT c FROM usage_contribution(ranges.touched, ranges.los, ranges.his, ranges.scope_ids, ranges.scopes) AS c);
    -- Each instance as SQLite's ping-by-ping upsert leaves it: a ping on or after the latest day
    -- so far names the region (when it names one); an earlier ping only fills in a missing one.
    UPDATE instances AS i SET
        first_day = least(i.first_day, f.lo),
        last_day = greatest(i.last_day, f.hi),
        region = coalesce(f.latest_region, i.region, f.filling_region)
    FROM (
        SELECT p.id, min(p.day) AS lo, max(p.day) AS hi,
               (array_agg(p.region ORDER BY p.k DESC) FILTER (WHERE p.latest AND p.region IS NOT NULL))[1] AS latest_region,
               (array_agg(p.region ORDER BY p.k) FILTER (WHERE NOT p.latest AND p.region IS NOT NULL))[1] AS filling_region
        FROM (
            SELECT q.id, q.day, q.region, q.k,
                   q.day >= greatest(j.last_day, max(q.day) OVER (PARTITION BY q.id ORDER BY q.k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS latest
            FROM (SELECT u.id, u.day, nullif(u.region, '') AS region, u.k
                  FROM unnest(ids, days, regions) WITH ORDINALITY AS u(id, day, region, k)) q
            JOIN instances j ON j.instance_id = q.id
        ) p
        GROUP BY p.id
    ) f
    WHERE i.instance_id = f.id;
    -- Each (instance, day) once: its pings added, its times widened, its first region kept.
    WITH grouped AS (
        SELECT u.id, u.day, min(u.k) AS first_k, count(*)::integer AS n,
               (array_agg(u.region ORDER BY u.k) FILTER (WHERE u.region <> ''))[1] AS region,
               min(u.t) AS first_seen, max(u.t) AS last_seen
        FROM unnest(ids, days, regions, times) WITH ORDINALITY AS u(id, day, region, t, k)
        GROUP BY u.id, u.day
    ), upserted AS (
        INSERT INTO instance_days AS d (instance_id, day, region, first_seen_ms, last_seen_ms, pings)
        SELECT g.id, g.day, g.region, g.first_seen, g.last_seen, g.n FROM grouped g ORDER BY g.id, g.day
        ON CONFLICT (instance_id, day) DO UPDATE SET
            pings = d.pings + excluded.pings,
            first_seen_ms = least(d.first_seen_ms, excluded.first_seen_ms),
            last_seen_ms = greatest(d.last_seen_ms, excluded.last_seen_ms),
            region = coalesce(d.region, excluded.region)
        RETURNING d.instance_id, d.day, d.pings
    )
    -- A ping is the first of its day when its row is new and no earlier ping of the batch made it.
    SELECT array_agg(g.first_k = u.k AND up.pings = g.n ORDER BY u.k) INTO outcomes
    FROM unnest(ids, days) WITH ORDINALITY AS u(id, day, k)
    JOIN grouped g ON g.id = u.id AND g.day = u.day
    JOIN upserted up ON up.instance_id = u.id AND up.day = u.day;
    PERFORM usage_apply_rollups(before, ranges.touched, ranges.los, ranges.his, ranges.scope_ids, ranges.scopes);
    RETURN outcomes;
END
$$;

-- Per-day aggregates in order, merged as SQLite merges them; returns {inserted, updated, unchanged}.
CREATE FUNCTION usage_merge(ids text[], days integer[], regions text[], firsts bigint[], lasts bigint[], counts integer[]) RETURNS integer[]
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    ranges record;
    before usage_rollup_delta[];
    summary integer[] := ARRAY[0, 0, 0];
    changed integer;
BEGIN
    PERFORM usage_lock_instances(ids, days, regions);
    ranges := usage_changed_ranges(ids, days, regions);
    before := ARRAY(SELECT c FROM usage_contribution(ranges.touched, ranges.los, ranges.his, ranges.scope_ids, ranges.scopes) AS c);
    FOR k IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        INSERT INTO instances AS i (instance_id, first_day, last_day, region)
        VALUES (ids[k], days[k], days[k], nullif(regions[k], ''))
        ON CONFLICT (instance_id) DO UPDATE SET
            first_day = least(i.first_day, excluded.first_day),
            last_day = greatest(i.last_day, excluded.last_day),
            region = CASE WHEN excluded.last_day >= i.last_day THEN coalesce(excluded.region, i.region)
                          ELSE coalesce(i.region, excluded.region) END;
        IF NOT EXISTS (SELECT 1 FROM instance_days WHERE instance_id = ids[k] AND day = days[k]) THEN
            INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings)
            VALUES (ids[k], days[k], nullif(regions[k], ''), firsts[k], lasts[k], counts[k]);
            summary[1] := summary[1] + 1;
        ELSE
            UPDATE instance_days AS d SET
                pings = greatest(d.pings, counts[k]),
                first_seen_ms = least(d.first_seen_ms, firsts[k]),
                last_seen_ms = greatest(d.last_seen_ms, lasts[k]),
                region = coalesce(d.region, nullif(regions[k], ''))
            WHERE d.instance_id = ids[k] AND d.day = days[k]
              AND (counts[k] > d.pings OR firsts[k] < d.first_seen_ms OR lasts[k] > d.last_seen_ms
                   OR (d.region IS NULL AND nullif(regions[k], '') IS NOT NULL));
            GET DIAGNOSTICS changed = ROW_COUNT;
            IF changed > 0 THEN summary[2] := summary[2] + 1; ELSE summary[3] := summary[3] + 1; END IF;
        END IF;
    END LOOP;
    PERFORM usage_apply_rollups(before, ranges.touched, ranges.los, ranges.his, ranges.scope_ids, ranges.scopes);
    RETURN summary;
END
$$;

-- Every row of one instance; returns how many were removed.
CREATE FUNCTION usage_forget(id text) RETURNS integer
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    first integer;
    last integer;
    before usage_rollup_delta[];
    scope_ids text[];
    scopes text[];
    days_removed integer;
    instances_removed integer;
BEGIN
    SELECT i.first_day, i.last_day INTO first, last FROM instances i WHERE i.instance_id = id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    SELECT array_agg(id), array_agg(s.scope) INTO scope_ids, scopes FROM (
        SELECT '*' AS scope UNION SELECT coalesce(d.region, 'unknown') FROM instance_days d WHERE d.instance_id = id
    ) s;
    before := ARRAY(SELECT c FROM usage_contribution(ARRAY[id], ARRAY[first], ARRAY[last], scope_ids, scopes) AS c);
    DELETE FROM instance_days WHERE instance_id = id;
    GET DIAGNOSTICS days_removed = ROW_COUNT;
    DELETE FROM instances WHERE instance_id = id;
    GET DIAGNOSTICS instances_removed = ROW_COUNT;
    PERFORM usage_apply_rollups(before, ARRAY[id], ARRAY[first], ARRAY[last], scope_ids, scopes);
    RETURN days_removed + instances_removed;
END
$$;

-- One transaction of a purge: up to `chunk` instances after after_id with rows before the cutoff.
CREATE FUNCTION usage_purge(cutoff integer, after_id text, chunk integer,
                            OUT day_rows integer, OUT instances_removed integer, OUT last_id text)
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    ids text[];
    los integer[];
    his integer[];
    scope_ids text[];
    scopes text[];
    before usage_rollup_delta[];
BEGIN
    -- The instances with rows before the cutoff, locked in one order.
    SELECT array_agg(l.instance_id ORDER BY l.instance_id) INTO ids
    FROM (SELECT i.instance_id FROM instances i
          WHERE i.first_day < cutoff AND i.instance_id > after_id
          ORDER BY i.instance_id LIMIT chunk FOR UPDATE) l;
    -- Rows change only before the cutoff, unless the instance's first week (its retention cohort)
    -- moves: then all of them. Read after the locks are held, in a new snapshot.
    SELECT array_agg(i.first_day ORDER BY i.instance_id),
           array_agg(CASE WHEN usage_monday(i.first_day) = usage_monday(coalesce(
                              (SELECT min(d.day) FROM instance_days d WHERE d.instance_id = i.instance_id AND d.day >= cutoff),
                              i.first_day))
                          THEN cutoff - 1 ELSE i.last_day END ORDER BY i.instance_id)
    INTO los, his
    FROM instances i WHERE i.instance_id = ANY(ids);
    day_rows := 0;
    instances_removed := 0;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    last_id := ids[array_length(ids, 1)];
    SELECT array_agg(s.id), array_agg(s.scope) INTO scope_ids, scopes FROM (
        SELECT r.id, '*' AS scope FROM unnest(ids) AS r(id)
        UNION SELECT d.instance_id, coalesce(d.region, 'unknown')
              FROM unnest(ids, los, his) AS r(id, lo, hi)
              JOIN instance_days d ON d.instance_id = r.id AND d.day BETWEEN r.lo AND r.hi
    ) s;
    before := ARRAY(SELECT c FROM usage_contribution(ids, los, his, scope_ids, scopes) AS c);
    DELETE FROM instance_days WHERE instance_id = ANY(ids) AND day < cutoff;
    GET DIAGNOSTICS day_rows = ROW_COUNT;
    DELETE FROM instances i WHERE i.instance_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = i.instance_id);
    GET DIAGNOSTICS instances_removed = ROW_COUNT;
    UPDATE instances i SET first_day = (SELECT min(d.day) FROM instance_days d WHERE d.instance_id = i.instance_id)
    WHERE i.instance_id = ANY(ids);
    PERFORM usage_apply_rollups(before, ids, los, his, scope_ids, scopes);
END
$$;
