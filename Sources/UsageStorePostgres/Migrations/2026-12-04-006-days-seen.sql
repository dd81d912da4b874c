-- 006: the 28-day counts (`days_seen_delta`), and the functions of 003 replaced whole with
-- them added.

CREATE TABLE days_seen_delta (
    seen integer NOT NULL, day integer NOT NULL, delta integer NOT NULL,
    PRIMARY KEY (seen, day)
);

-- Per instance, the days its count changes (+1 on each of its days, -1 28 days later), the count
-- from each such day on, and the next such day.
CREATE VIEW usage_days_seen_runs AS
    SELECT e.e, sum(e.n) OVER w AS c, lead(e.e) OVER w AS next FROM (
        SELECT x.instance_id, x.e, sum(x.n) AS n FROM (
            SELECT instance_id, day AS e, 1 AS n FROM instance_days
            UNION ALL SELECT instance_id, day + 28, -1 FROM instance_days
        ) x GROUP BY x.instance_id, x.e
    ) e WINDOW w AS (PARTITION BY e.instance_id ORDER BY e.e);

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
$$;

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
$$;

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
$$;

INSERT INTO days_seen_delta (seen, day, delta)
SELECT x.seen, x.day, sum(x.delta) FROM (
    SELECT r.c AS seen, r.e AS day, 1 AS delta FROM usage_days_seen_runs r WHERE r.c > 0
    UNION ALL SELECT r.c, r.next, -1 FROM usage_days_seen_runs r WHERE r.c > 0
) x GROUP BY x.seen, x.day HAVING sum(x.delta) <> 0;
