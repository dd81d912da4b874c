-- 007: every trigger goes: the folds write every rollup row themselves, with the core's
-- arithmetic (`InstanceFold`), for deletions and summaries too. The rollup rows stay as
-- they are: the folds keep the same numbers.

DROP TRIGGER IF EXISTS instance_days_inserted;
DROP TRIGGER IF EXISTS instance_days_deleted;
DROP TRIGGER IF EXISTS instance_days_pinged;
DROP TRIGGER IF EXISTS instance_days_region_changed;
DROP TRIGGER IF EXISTS instances_cohort_changed;
DROP TRIGGER IF EXISTS instances_inserted;
DROP TRIGGER IF EXISTS instances_deleted;
DROP TRIGGER IF EXISTS instances_moved;
