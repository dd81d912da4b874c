-- 007: `daily_rollup` gains `new` (instances first seen that day, by latest region), as
-- SQLite's has, filled from `instances`; the PL/pgSQL write functions go, since the folds
-- write rows and rollups themselves. An older collector still running beside a migrated
-- database keeps appending pings (`usage_journal_append` stays) but cannot fold them: its
-- folds fail until it is replaced, and the new collectors fold its pings.

ALTER TABLE daily_rollup ADD COLUMN new integer NOT NULL DEFAULT 0;

INSERT INTO daily_rollup AS t (scope, day, active, pings, new)
SELECT '*', first_day, 0, 0, count(*) FROM instances GROUP BY first_day
ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new;

INSERT INTO daily_rollup AS t (scope, day, active, pings, new)
SELECT coalesce(region, 'unknown'), first_day, 0, 0, count(*) FROM instances GROUP BY 1, 2
ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new;

DROP FUNCTION IF EXISTS usage_fold_journal;

DROP FUNCTION IF EXISTS usage_record;

DROP FUNCTION IF EXISTS usage_merge;

DROP FUNCTION IF EXISTS usage_forget;

DROP FUNCTION IF EXISTS usage_purge;

DROP FUNCTION IF EXISTS usage_changed_ranges;

DROP FUNCTION IF EXISTS usage_lock_instances;

DROP FUNCTION IF EXISTS usage_rebuild_rollups;

DROP FUNCTION IF EXISTS usage_apply_rollups;

DROP FUNCTION IF EXISTS usage_contribution;

DROP VIEW IF EXISTS usage_ordered_days;

DROP VIEW IF EXISTS usage_days_seen_runs;

DROP TYPE IF EXISTS usage_rollup_delta;

DROP FUNCTION IF EXISTS usage_monday;
