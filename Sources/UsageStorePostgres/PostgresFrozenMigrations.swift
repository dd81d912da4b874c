/// The PostgreSQL schema's shipped migrations 003 to 006, as the literal SQL they ran: what a
/// migration does never changes. Until migration 007 the rollups were kept by the PL/pgSQL
/// functions these created (`usage_record`, `usage_merge`, `usage_forget`, `usage_purge`,
/// `usage_fold_journal`, their helpers and `usage_rebuild_rollups`); 007 drops them, and the
/// store's folds (``PostgresRows``) write rows and rollups with the core's arithmetic. Of what
/// they made, the tables and `usage_journal_append` (005, ``PostgresJournal``) are in use.
enum PostgresFrozenMigrations {
    /// 003: the report rollups, and the contribution of a set of rows to them computed in SQL.
    static let migration003: [String] = [
            // Distinct instances and pings per day and scope ('*', a region, or 'unknown').
            """
            CREATE TABLE daily_rollup (
                scope text COLLATE "C" NOT NULL, day integer NOT NULL, active integer NOT NULL, pings bigint NOT NULL,
                PRIMARY KEY (scope, day)
            )
            """,
            // The 7- and 28-day windows as difference arrays: actives on day D = sum of delta over days <= D.
            """
            CREATE TABLE window_delta (
                "window" integer NOT NULL, scope text COLLATE "C" NOT NULL, day integer NOT NULL, delta integer NOT NULL,
                PRIMARY KEY ("window", scope, day)
            )
            """,
            // Instances of the cohort first seen in the week starting on cohort, active in the week starting on week.
            """
            CREATE TABLE retention_weeks (
                cohort integer NOT NULL, week integer NOT NULL, instances integer NOT NULL,
                PRIMARY KEY (cohort, week)
            )
            """,
            // One change to one rollup cell: kind 1 daily (k1 = day), 2 window (k1 = window, k2 = day),
            // 3 retention (k1 = cohort, k2 = week).
            """
            CREATE TYPE usage_rollup_delta AS (kind smallint, k1 integer, scope text COLLATE "C", k2 integer, n bigint, p bigint)
            """,
            // The Monday that starts the ISO week of a day number (1970-01-01 was a Thursday).
            """
            CREATE FUNCTION usage_monday(day integer) RETURNS integer
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT day - ((day + 3) % 7 + 7) % 7 $$
            """,
            // What the rows of some instances, each in a day range [lo, hi], add to the rollups, counting only
            // what a write inside those ranges can change: the daily cells of [lo, hi]; for each given (instance,
            // scope), the window entries of its rows in [lo, hi] and of its first row after hi (whose previous row
            // may change), with the nearest rows within 28 days on either side found by index probes; and the
            // retention cells of the weeks overlapping [lo, hi]. Rows further away add the same before and after
            // a write, so they are left out of both.
            """
            CREATE FUNCTION usage_contribution(ids text[], los integer[], his integer[], scope_ids text[], scopes text[])
            RETURNS SETOF usage_rollup_delta
            LANGUAGE sql STABLE AS $$
                WITH ranges AS (
                    SELECT * FROM unnest(ids, los, his) AS r(instance_id, lo, hi)
                ), rows AS (
                    SELECT d.instance_id, d.day, coalesce(d.region, 'unknown') AS scope, d.pings
                    FROM ranges r JOIN instance_days d ON d.instance_id = r.instance_id AND d.day BETWEEN r.lo AND r.hi
                ), pairs AS (
                    SELECT DISTINCT p.instance_id, p.scope, r.lo, r.hi
                    FROM unnest(scope_ids, scopes) AS p(instance_id, scope) JOIN ranges r ON r.instance_id = p.instance_id
                ), neighbours AS (
                    SELECT p.instance_id, p.scope, p.lo, p.hi, x.day
                    FROM pairs p JOIN rows x ON x.instance_id = p.instance_id AND (p.scope = '*' OR x.scope = p.scope)
                    UNION ALL
                    SELECT p.instance_id, p.scope, p.lo, p.hi, b.day FROM pairs p CROSS JOIN LATERAL (
                        SELECT d.day FROM instance_days d
                        WHERE d.instance_id = p.instance_id AND d.day < p.lo AND d.day >= p.lo - 28
                          AND (p.scope = '*' OR coalesce(d.region, 'unknown') = p.scope)
                        ORDER BY d.day DESC LIMIT 1
                    ) b
                    UNION ALL
                    SELECT p.instance_id, p.scope, p.lo, p.hi, a.day FROM pairs p CROSS JOIN LATERAL (
                        SELECT d.day FROM instance_days d
                        WHERE d.instance_id = p.instance_id AND d.day > p.hi AND d.day <= p.hi + 28
                          AND (p.scope = '*' OR coalesce(d.region, 'unknown') = p.scope)
                        ORDER BY d.day LIMIT 1
                    ) a
                ), ordered AS (
                    SELECT scope, lo, hi, day, lag(day) OVER (PARTITION BY instance_id, scope ORDER BY day) AS previous FROM neighbours
                ), changing AS (
                    SELECT o.scope, o.day, o.previous, w.w FROM ordered o CROSS JOIN (VALUES (7), (28)) AS w(w)
                    WHERE o.day >= o.lo AND (o.day <= o.hi OR o.previous IS NULL OR o.previous <= o.hi)
                ), weeks AS (
                    SELECT usage_monday(i.first_day) AS cohort, w.week
                    FROM ranges r JOIN instances i ON i.instance_id = r.instance_id
                    CROSS JOIN LATERAL generate_series(usage_monday(r.lo), usage_monday(r.hi), 7) AS w(week)
                    CROSS JOIN LATERAL (
                        SELECT 1 FROM instance_days d WHERE d.instance_id = r.instance_id AND d.day BETWEEN w.week AND w.week + 6 LIMIT 1
                    ) active
                )
                SELECT 1::smallint, day, '*', 0, count(*), sum(pings) FROM rows GROUP BY day
                UNION ALL SELECT 1::smallint, day, scope, 0, count(*), sum(pings) FROM rows GROUP BY day, scope
                UNION ALL SELECT 2::smallint, w, scope, greatest(day, coalesce(previous + w, day)), 1, 0 FROM changing
                UNION ALL SELECT 2::smallint, w, scope, day + w, -1, 0 FROM changing
                UNION ALL SELECT 3::smallint, cohort, NULL, week, count(*), 0 FROM weeks GROUP BY cohort, week
            $$
            """,
            // Adds (the contribution now) - (before) to the rollups, each table in key order, so that writers
            // never deadlock on rollup rows.
            """
            CREATE FUNCTION usage_apply_rollups(before usage_rollup_delta[], ids text[], los integer[], his integer[], scope_ids text[], scopes text[])
            RETURNS void
            LANGUAGE plpgsql SET jit = off AS $$
            DECLARE
                net usage_rollup_delta[];
            BEGIN
                SELECT array_agg(ROW(kind, k1, scope, k2, n, p)::usage_rollup_delta) INTO net FROM (
                    SELECT c.kind, c.k1, c.scope, c.k2, sum(c.n) AS n, sum(c.p) AS p FROM (
                        SELECT * FROM usage_contribution(ids, los, his, scope_ids, scopes)
                        UNION ALL SELECT b.kind, b.k1, b.scope, b.k2, -b.n, -b.p FROM unnest(before) AS b
                    ) c GROUP BY c.kind, c.k1, c.scope, c.k2 HAVING sum(c.n) <> 0 OR sum(c.p) <> 0
                ) s;
                IF net IS NULL THEN
                    RETURN;
                END IF;
                INSERT INTO daily_rollup AS t (scope, day, active, pings)
                    SELECT x.scope, x.k1, x.n, x.p FROM unnest(net) AS x WHERE x.kind = 1 ORDER BY x.scope, x.k1
                    ON CONFLICT (scope, day) DO UPDATE SET active = t.active + excluded.active, pings = t.pings + excluded.pings;
                INSERT INTO window_delta AS t ("window", scope, day, delta)
                    SELECT x.k1, x.scope, x.k2, x.n FROM unnest(net) AS x WHERE x.kind = 2 ORDER BY x.k1, x.scope, x.k2
                    ON CONFLICT ("window", scope, day) DO UPDATE SET delta = t.delta + excluded.delta;
                INSERT INTO retention_weeks AS t (cohort, week, instances)
                    SELECT x.k1, x.k2, x.n FROM unnest(net) AS x WHERE x.kind = 3 ORDER BY x.k1, x.k2
                    ON CONFLICT (cohort, week) DO UPDATE SET instances = t.instances + excluded.instances;
            END
            $$
            """,
            // Rows with their previous day per instance and scope, for the full rebuild.
            """
            CREATE VIEW usage_ordered_days AS
                SELECT '*' AS scope, day, lag(day) OVER (PARTITION BY instance_id ORDER BY day) AS previous FROM instance_days
                UNION ALL
                SELECT coalesce(region, 'unknown'), day, lag(day) OVER (PARTITION BY region, instance_id ORDER BY day) FROM instance_days
            """,
            // Recomputes every rollup from the rows (tests compare it with the rollups kept per write).
            """
            CREATE FUNCTION usage_rebuild_rollups() RETURNS void
            LANGUAGE plpgsql SET jit = off AS $$
            BEGIN
                LOCK TABLE instances, instance_days IN SHARE MODE;
                DELETE FROM daily_rollup;
                DELETE FROM window_delta;
                DELETE FROM retention_weeks;
                INSERT INTO daily_rollup (scope, day, active, pings)
                    SELECT '*', day, count(*), sum(pings) FROM instance_days GROUP BY day;
                INSERT INTO daily_rollup (scope, day, active, pings)
                    SELECT coalesce(region, 'unknown'), day, count(*), sum(pings) FROM instance_days GROUP BY 1, day;
                INSERT INTO window_delta ("window", scope, day, delta)
                    SELECT w, scope, d, sum(delta) FROM (
                        SELECT w.w, o.scope, greatest(o.day, coalesce(o.previous + w.w, o.day)) AS d, 1 AS delta
                        FROM usage_ordered_days o CROSS JOIN (VALUES (7), (28)) AS w(w)
                        UNION ALL
                        SELECT w.w, o.scope, o.day + w.w, -1 FROM usage_ordered_days o CROSS JOIN (VALUES (7), (28)) AS w(w)
                    ) e GROUP BY w, scope, d HAVING sum(delta) <> 0;
                INSERT INTO retention_weeks (cohort, week, instances)
                    SELECT usage_monday(i.first_day), w.week, count(*)
                    FROM (SELECT DISTINCT instance_id, usage_monday(day) AS week FROM instance_days) w
                    JOIN instances i ON i.instance_id = w.instance_id
                    GROUP BY 1, 2;
            END
            $$
            """,
    ]

    /// 004: record, merge, forget and purge as PL/pgSQL functions.
    static let migration004: [String] = [
            // Locks every instance of a batch in instance-ID order, inserting the new ones (DO UPDATE ... WHERE
            // false locks a row without changing it): the first thing every write does.
            """
            CREATE FUNCTION usage_lock_instances(ids text[], days integer[], regions text[]) RETURNS void
            LANGUAGE sql AS $$
                INSERT INTO instances AS i (instance_id, first_day, last_day, region)
                    SELECT DISTINCT ON (p.id) p.id, p.day, p.day, nullif(p.region, '')
                    FROM unnest(ids, days, regions) WITH ORDINALITY AS p(id, day, region, k)
                    ORDER BY p.id, p.k
                ON CONFLICT (instance_id) DO UPDATE SET first_day = i.first_day WHERE false
            $$
            """,
            // Per instance of a batch, the days whose rows change (the batch's days, or every day when the batch
            // reaches before the instance's first day: its retention cohort may move), and the scopes to look at.
            """
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
            $$
            """,
            // Pings in order, stored as SQLite's ping-by-ping upserts store them, in one statement for the
            // instances and one for the days; returns for each ping whether it was the first of its (instance, day).
            """
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
            $$
            """,
            // Per-day aggregates in order, merged as SQLite merges them; returns {inserted, updated, unchanged}.
            """
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
            $$
            """,
            // Every row of one instance; returns how many were removed.
            """
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
            $$
            """,
            // One transaction of a purge: up to `chunk` instances after after_id with rows before the cutoff.
            """
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
            $$
            """,
    ]

    /// 005: the ping journal (``PostgresJournal``): `usage_journal_append`, in use, and
    /// `usage_fold_journal`.
    static let migration005: [String] = [
        """
        CREATE TABLE ping_journal (
            -- An identity, not a serial: a role with only table rights (INSERT) can append.
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            instance_id text COLLATE "C" NOT NULL,
            day integer NOT NULL,
            region text COLLATE "C",
            received_ms bigint NOT NULL
        )
        """,
        // For first_today: is an (instance, day) already waiting in the journal?
        "CREATE INDEX ping_journal_by_instance_day ON ping_journal (instance_id, day)",
        // Appends pings in order; returns for each whether it is the first of its (instance, day): no
        // row stored, none in the journal, none earlier in the batch. Each (instance, day) of the batch
        // is locked first (transaction advisory locks, in key order, so batches never deadlock), and
        // the check runs after, in a new snapshot: of two collectors appending the same new
        // (instance, day) at once, the second waits for the first to commit and sees its entry.
        """
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
        $$
        """,
        // Applies up to `lim` of the oldest entries and deletes them; returns how many.
        """
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
        $$
        """,
    ]

    /// 006: the 28-day counts (`days_seen_delta`), and the functions of 003 replaced whole with
    /// them added.
    static let migration006: [String] = [
            """
            CREATE TABLE days_seen_delta (
                seen integer NOT NULL, day integer NOT NULL, delta integer NOT NULL,
                PRIMARY KEY (seen, day)
            )
            """,
            // Per instance, the days its count changes (+1 on each of its days, -1 28 days later), the count
            // from each such day on, and the next such day.
            """
            CREATE VIEW usage_days_seen_runs AS
                SELECT e.e, sum(e.n) OVER w AS c, lead(e.e) OVER w AS next FROM (
                    SELECT x.instance_id, x.e, sum(x.n) AS n FROM (
                        SELECT instance_id, day AS e, 1 AS n FROM instance_days
                        UNION ALL SELECT instance_id, day + 28, -1 FROM instance_days
                    ) x GROUP BY x.instance_id, x.e
                ) e WINDOW w AS (PARTITION BY e.instance_id ORDER BY e.e)
            """,
            """
            CREATE OR REPLACE FUNCTION usage_contribution(ids text[], los integer[], his integer[], scope_ids text[], scopes text[])
            RETURNS SETOF usage_rollup_delta
            LANGUAGE sql STABLE AS $$
                WITH ranges AS (
                    SELECT * FROM unnest(ids, los, his) AS r(instance_id, lo, hi)
                ), rows AS (
                    SELECT d.instance_id, d.day, coalesce(d.region, 'unknown') AS scope, d.pings
                    FROM ranges r JOIN instance_days d ON d.instance_id = r.instance_id AND d.day BETWEEN r.lo AND r.hi
                ), pairs AS (
                    SELECT DISTINCT p.instance_id, p.scope, r.lo, r.hi
                    FROM unnest(scope_ids, scopes) AS p(instance_id, scope) JOIN ranges r ON r.instance_id = p.instance_id
                ), neighbours AS (
                    SELECT p.instance_id, p.scope, p.lo, p.hi, x.day
                    FROM pairs p JOIN rows x ON x.instance_id = p.instance_id AND (p.scope = '*' OR x.scope = p.scope)
                    UNION ALL
                    SELECT p.instance_id, p.scope, p.lo, p.hi, b.day FROM pairs p CROSS JOIN LATERAL (
                        SELECT d.day FROM instance_days d
                        WHERE d.instance_id = p.instance_id AND d.day < p.lo AND d.day >= p.lo - 28
                          AND (p.scope = '*' OR coalesce(d.region, 'unknown') = p.scope)
                        ORDER BY d.day DESC LIMIT 1
                    ) b
                    UNION ALL
                    SELECT p.instance_id, p.scope, p.lo, p.hi, a.day FROM pairs p CROSS JOIN LATERAL (
                        SELECT d.day FROM instance_days d
                        WHERE d.instance_id = p.instance_id AND d.day > p.hi AND d.day <= p.hi + 28
                          AND (p.scope = '*' OR coalesce(d.region, 'unknown') = p.scope)
                        ORDER BY d.day LIMIT 1
                    ) a
                ), ordered AS (
                    SELECT scope, lo, hi, day, lag(day) OVER (PARTITION BY instance_id, scope ORDER BY day) AS previous FROM neighbours
                ), changing AS (
                    SELECT o.scope, o.day, o.previous, w.w FROM ordered o CROSS JOIN (VALUES (7), (28)) AS w(w)
                    WHERE o.day >= o.lo AND (o.day <= o.hi OR o.previous IS NULL OR o.previous <= o.hi)
                ), weeks AS (
                    SELECT usage_monday(i.first_day) AS cohort, w.week
                    FROM ranges r JOIN instances i ON i.instance_id = r.instance_id
                    CROSS JOIN LATERAL generate_series(usage_monday(r.lo), usage_monday(r.hi), 7) AS w(week)
                    CROSS JOIN LATERAL (
                        SELECT 1 FROM instance_days d WHERE d.instance_id = r.instance_id AND d.day BETWEEN w.week AND w.week + 6 LIMIT 1
                    ) active
                ), near AS (
                    SELECT r.instance_id, r.lo, r.hi, d.day
                    FROM ranges r JOIN instance_days d ON d.instance_id = r.instance_id AND d.day BETWEEN r.lo - 27 AND r.hi + 27
                ), seen_events AS (
                    SELECT e.instance_id, e.lo, e.hi, e.day, sum(e.n) AS n FROM (
                        SELECT instance_id, lo, hi, day, 1 AS n FROM near
                        UNION ALL SELECT instance_id, lo, hi, day + 28, -1 FROM near
                    ) e GROUP BY e.instance_id, e.lo, e.hi, e.day
                ), seen_runs AS (
                    SELECT lo, hi, day, sum(n) OVER w AS c, lead(day) OVER w AS next
                    FROM seen_events WINDOW w AS (PARTITION BY instance_id ORDER BY day)
                ), seen AS (
                    SELECT c::integer AS c, greatest(day, lo) AS s, least(next, hi + 28) AS f FROM seen_runs WHERE c > 0
                )
                SELECT 1::smallint, day, '*', 0, count(*), sum(pings) FROM rows GROUP BY day
                UNION ALL SELECT 1::smallint, day, scope, 0, count(*), sum(pings) FROM rows GROUP BY day, scope
                UNION ALL SELECT 2::smallint, w, scope, greatest(day, coalesce(previous + w, day)), 1, 0 FROM changing
                UNION ALL SELECT 2::smallint, w, scope, day + w, -1, 0 FROM changing
                UNION ALL SELECT 3::smallint, cohort, NULL, week, count(*), 0 FROM weeks GROUP BY cohort, week
                UNION ALL SELECT 4::smallint, c, NULL, s, 1, 0 FROM seen WHERE s < f
                UNION ALL SELECT 4::smallint, c, NULL, f, -1, 0 FROM seen WHERE s < f
            $$
            """,
            """
            CREATE OR REPLACE FUNCTION usage_apply_rollups(before usage_rollup_delta[], ids text[], los integer[], his integer[], scope_ids text[], scopes text[])
            RETURNS void
            LANGUAGE plpgsql SET jit = off AS $$
            DECLARE
                net usage_rollup_delta[];
            BEGIN
                SELECT array_agg(ROW(kind, k1, scope, k2, n, p)::usage_rollup_delta) INTO net FROM (
                    SELECT c.kind, c.k1, c.scope, c.k2, sum(c.n) AS n, sum(c.p) AS p FROM (
                        SELECT * FROM usage_contribution(ids, los, his, scope_ids, scopes)
                        UNION ALL SELECT b.kind, b.k1, b.scope, b.k2, -b.n, -b.p FROM unnest(before) AS b
                    ) c GROUP BY c.kind, c.k1, c.scope, c.k2 HAVING sum(c.n) <> 0 OR sum(c.p) <> 0
                ) s;
                IF net IS NULL THEN
                    RETURN;
                END IF;
                INSERT INTO daily_rollup AS t (scope, day, active, pings)
                    SELECT x.scope, x.k1, x.n, x.p FROM unnest(net) AS x WHERE x.kind = 1 ORDER BY x.scope, x.k1
                    ON CONFLICT (scope, day) DO UPDATE SET active = t.active + excluded.active, pings = t.pings + excluded.pings;
                INSERT INTO window_delta AS t ("window", scope, day, delta)
                    SELECT x.k1, x.scope, x.k2, x.n FROM unnest(net) AS x WHERE x.kind = 2 ORDER BY x.k1, x.scope, x.k2
                    ON CONFLICT ("window", scope, day) DO UPDATE SET delta = t.delta + excluded.delta;
                INSERT INTO retention_weeks AS t (cohort, week, instances)
                    SELECT x.k1, x.k2, x.n FROM unnest(net) AS x WHERE x.kind = 3 ORDER BY x.k1, x.k2
                    ON CONFLICT (cohort, week) DO UPDATE SET instances = t.instances + excluded.instances;
                INSERT INTO days_seen_delta AS t (seen, day, delta)
                    SELECT x.k1, x.k2, x.n FROM unnest(net) AS x WHERE x.kind = 4 ORDER BY x.k1, x.k2
                    ON CONFLICT (seen, day) DO UPDATE SET delta = t.delta + excluded.delta;
            END
            $$
            """,
            """
            CREATE OR REPLACE FUNCTION usage_rebuild_rollups() RETURNS void
            LANGUAGE plpgsql SET jit = off AS $$
            BEGIN
                LOCK TABLE instances, instance_days IN SHARE MODE;
                DELETE FROM daily_rollup;
                DELETE FROM window_delta;
                DELETE FROM retention_weeks;
                DELETE FROM days_seen_delta;
                INSERT INTO daily_rollup (scope, day, active, pings)
                    SELECT '*', day, count(*), sum(pings) FROM instance_days GROUP BY day;
                INSERT INTO daily_rollup (scope, day, active, pings)
                    SELECT coalesce(region, 'unknown'), day, count(*), sum(pings) FROM instance_days GROUP BY 1, day;
                INSERT INTO window_delta ("window", scope, day, delta)
                    SELECT w, scope, d, sum(delta) FROM (
                        SELECT w.w, o.scope, greatest(o.day, coalesce(o.previous + w.w, o.day)) AS d, 1 AS delta
                        FROM usage_ordered_days o CROSS JOIN (VALUES (7), (28)) AS w(w)
                        UNION ALL
                        SELECT w.w, o.scope, o.day + w.w, -1 FROM usage_ordered_days o CROSS JOIN (VALUES (7), (28)) AS w(w)
                    ) e GROUP BY w, scope, d HAVING sum(delta) <> 0;
                INSERT INTO retention_weeks (cohort, week, instances)
                    SELECT usage_monday(i.first_day), w.week, count(*)
                    FROM (SELECT DISTINCT instance_id, usage_monday(day) AS week FROM instance_days) w
                    JOIN instances i ON i.instance_id = w.instance_id
                    GROUP BY 1, 2;
                INSERT INTO days_seen_delta (seen, day, delta)
                    SELECT x.seen, x.day, sum(x.delta) FROM (
                        SELECT r.c AS seen, r.e AS day, 1 AS delta FROM usage_days_seen_runs r WHERE r.c > 0
                        UNION ALL SELECT r.c, r.next, -1 FROM usage_days_seen_runs r WHERE r.c > 0
                    ) x GROUP BY x.seen, x.day HAVING sum(x.delta) <> 0;
            END
            $$
            """,
            """
            INSERT INTO days_seen_delta (seen, day, delta)
            SELECT x.seen, x.day, sum(x.delta) FROM (
                SELECT r.c AS seen, r.e AS day, 1 AS delta FROM usage_days_seen_runs r WHERE r.c > 0
                UNION ALL SELECT r.c, r.next, -1 FROM usage_days_seen_runs r WHERE r.c > 0
            ) x GROUP BY x.seen, x.day HAVING sum(x.delta) <> 0
            """,
    ]
}
