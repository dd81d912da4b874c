-- 006: `days_seen_delta(seen, day, delta)`, how many of the 28 days ending on each day each
-- instance was seen on, as a difference array per count (see ``DaysSeen``), filled from the
-- rows: per instance, its count changes on each of its days (+1) and 28 days after each (−1);
-- each stretch between two changes with a count above 0 adds one entry at its start and
-- takes one away at its end.

CREATE TABLE days_seen_delta (
    seen INTEGER NOT NULL,
    day INTEGER NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (seen, day)
) WITHOUT ROWID;
INSERT INTO days_seen_delta (seen, day, delta)
    WITH runs AS (
        SELECT e, sum(n) OVER (PARTITION BY instance_id ORDER BY e) AS c,
               lead(e) OVER (PARTITION BY instance_id ORDER BY e) AS next
        FROM (SELECT instance_id, e, sum(n) AS n FROM (
                  SELECT instance_id, day AS e, 1 AS n FROM instance_days
                  UNION ALL SELECT instance_id, day + 28, -1 FROM instance_days
              ) GROUP BY instance_id, e)
    )
    SELECT seen, day, sum(delta) FROM (
        SELECT c AS seen, e AS day, 1 AS delta FROM runs WHERE c > 0
        UNION ALL SELECT c, next, -1 FROM runs WHERE c > 0
    ) GROUP BY seen, day HAVING sum(delta) != 0;
