-- 003: the report rollups, and the contribution of a set of rows to them computed in SQL.

-- Distinct instances and pings per day and scope ('*', a region, or 'unknown').
CREATE TABLE daily_rollup (
    scope text COLLATE "C" NOT NULL, day integer NOT NULL, active integer NOT NULL, pings bigint NOT NULL,
    PRIMARY KEY (scope, day)
);

-- The 7- and 28-day windows as difference arrays: actives on day D = sum of delta over days <= D.
CREATE TABLE window_delta (
    "window" integer NOT NULL, scope text COLLATE "C" NOT NULL, day integer NOT NULL, delta integer NOT NULL,
    PRIMARY KEY ("window", scope, day)
);

-- Instances of the cohort first seen in the week starting on cohort, active in the week starting on week.
CREATE TABLE retention_weeks (
    cohort integer NOT NULL, week integer NOT NULL, instances integer NOT NULL,
    PRIMARY KEY (cohort, week)
);

-- One change to one rollup cell: kind 1 daily (k1 = day), 2 window (k1 = window, k2 = day),
-- 3 retention (k1 = cohort, k2 = week).
CREATE TYPE usage_rollup_delta AS (kind smallint, k1 integer, scope text COLLATE "C", k2 integer, n bigint, p bigint);

-- The Monday that starts the ISO week of a day number (1970-01-01 was a Thursday).
CREATE FUNCTION usage_monday(day integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT day - ((day + 3) % 7 + 7) % 7 $$;

-- What the rows of some instances, each in a day range [lo, hi], add to the rollups, counting only
-- what a write inside those ranges can change: the daily cells of [lo, hi]; for each given (instance,
-- scope), the window entries of its rows in [lo, hi] and of its first row after hi (whose previous row
-- may change), with the nearest rows within 28 days on either side found by index probes; and the
-- retention cells of the weeks overlapping [lo, hi]. Rows further away add the same before and after
-- a write, so they are left out of both.
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
$$;

-- Adds (the contribution now) - (before) to the rollups, each table in key order, so that writers
-- never deadlock on rollup rows.
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
$$;

-- Rows with their previous day per instance and scope, for the full rebuild.
CREATE VIEW usage_ordered_days AS
    SELECT '*' AS scope, day, lag(day) OVER (PARTITION BY instance_id ORDER BY day) AS previous FROM instance_days
    UNION ALL
    SELECT coalesce(region, 'unknown'), day, lag(day) OVER (PARTITION BY region, instance_id ORDER BY day) FROM instance_days;

-- Recomputes every rollup from the rows (tests compare it with the rollups kept per write).
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
$$;
