import GRDB
import UsageTrackingCore

/// The report rollups of the SQLite store, kept exact in the same transaction as every write
/// (by ``SQLiteDayWriter`` for new and changed day rows, by triggers for deletions and for
/// `instances`), so reports read a few hundred rows instead of every (instance, day).
///
/// - `daily_rollup(scope, day, active, pings, new)`: distinct instances and pings per day, and
///   instances first seen that day; `scope` is `*` for all regions, else a region code, or
///   `unknown` for pings that named none (for `new`: the instance's latest region).
/// - `window_delta(window, scope, day, delta)`: for the 7- and 28-day windows, a difference
///   array: the distinct instances active over the window ending on day D is the sum of `delta`
///   over days ≤ D. An instance active on day t covers windows ending on t … t+W-1; inserting t
///   between its neighbours p < t < n adds coverage [max(t, p+W), min(t+W-1, n-1)], deleting it
///   removes the same range.
/// - `retention_weeks(cohort, week, instances)`: instances first seen in the ISO week starting on
///   `cohort` that were active in the week starting on `week` (both Mondays, as day numbers).
/// - `days_seen_delta(seen, day, delta)`: per count s of the 28 days ending on a day that an
///   instance was seen on, a difference array of the instances with that count (``DaysSeen``).
///
/// The migrations that made them are literal SQL in ``SQLiteFrozenMigrations``.
enum SQLiteRollups {
    static let windows = [7, 28]

    /// The triggers in force: on `instance_days` deletions (erasure, retention) and cohort moves,
    /// as migration 005 made them, and on `instances`, keeping `daily_rollup.new`, as migration
    /// 004 made them. A bulk load drops them and creates them again from this text.
    static let triggers: String = """
        CREATE TRIGGER instance_days_deleted AFTER DELETE ON instance_days BEGIN
        INSERT INTO daily_rollup (scope, day, active, pings)
            SELECT '*', OLD.day, -1, -1 * OLD.pings WHERE 1
            ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
        INSERT INTO window_delta (window, scope, day, delta)
            SELECT 7, '*', CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
            FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day < OLD.day) + 7, OLD.day)) AS s,
                         min(OLD.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day > OLD.day) - 1, OLD.day + 6)) AS e),
                 (SELECT 1 AS k UNION ALL SELECT 2)
            WHERE s <= e
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
        INSERT INTO window_delta (window, scope, day, delta)
            SELECT 28, '*', CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
            FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day < OLD.day) + 28, OLD.day)) AS s,
                         min(OLD.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id  AND day > OLD.day) - 1, OLD.day + 27)) AS e),
                 (SELECT 1 AS k UNION ALL SELECT 2)
            WHERE s <= e
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
        INSERT INTO daily_rollup (scope, day, active, pings)
            SELECT coalesce(OLD.region, 'unknown'), OLD.day, -1, -1 * OLD.pings WHERE 1
            ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
        INSERT INTO window_delta (window, scope, day, delta)
            SELECT 7, coalesce(OLD.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
            FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day < OLD.day) + 7, OLD.day)) AS s,
                         min(OLD.day + 6, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day > OLD.day) - 1, OLD.day + 6)) AS e),
                 (SELECT 1 AS k UNION ALL SELECT 2)
            WHERE s <= e
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
        INSERT INTO window_delta (window, scope, day, delta)
            SELECT 28, coalesce(OLD.region, 'unknown'), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN -1 ELSE 1 END
            FROM (SELECT max(OLD.day, coalesce((SELECT max(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day < OLD.day) + 28, OLD.day)) AS s,
                         min(OLD.day + 27, coalesce((SELECT min(day) FROM instance_days WHERE instance_id = OLD.instance_id AND region IS OLD.region AND day > OLD.day) - 1, OLD.day + 27)) AS e),
                 (SELECT 1 AS k UNION ALL SELECT 2)
            WHERE s <= e
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
        INSERT INTO retention_weeks (cohort, week, instances)
            SELECT (i.first_day - ((i.first_day % 7 + 10) % 7)), (OLD.day - ((OLD.day % 7 + 10) % 7)), -1 FROM instances i
            WHERE i.instance_id = OLD.instance_id
              AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = OLD.instance_id
                              AND d.day BETWEEN (OLD.day - ((OLD.day % 7 + 10) % 7)) AND (OLD.day - ((OLD.day % 7 + 10) % 7)) + 6 AND d.day != OLD.day)
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
        END;
        CREATE TRIGGER instances_cohort_changed AFTER UPDATE OF first_day ON instances
        WHEN (OLD.first_day - ((OLD.first_day % 7 + 10) % 7)) != (NEW.first_day - ((NEW.first_day % 7 + 10) % 7)) BEGIN
            INSERT INTO retention_weeks (cohort, week, instances)
            SELECT (OLD.first_day - ((OLD.first_day % 7 + 10) % 7)), w, -1 FROM (SELECT DISTINCT (day - ((day % 7 + 10) % 7)) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
            INSERT INTO retention_weeks (cohort, week, instances)
            SELECT (NEW.first_day - ((NEW.first_day % 7 + 10) % 7)), w, 1 FROM (SELECT DISTINCT (day - ((day % 7 + 10) % 7)) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
        END;
        CREATE TRIGGER instances_inserted AFTER INSERT ON instances BEGIN
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(NEW.region, 'unknown'), NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        END;
        CREATE TRIGGER instances_deleted AFTER DELETE ON instances BEGIN
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(OLD.region, 'unknown'), OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        END;
        CREATE TRIGGER instances_moved AFTER UPDATE OF first_day, region ON instances
        WHEN OLD.first_day != NEW.first_day OR OLD.region IS NOT NEW.region BEGIN
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(OLD.region, 'unknown'), OLD.first_day, 0, 0, -1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES ('*', NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (coalesce(NEW.region, 'unknown'), NEW.first_day, 0, 0, 1)
        ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
        END;
        """

    static let dropTriggers = """
        DROP TRIGGER IF EXISTS instance_days_inserted;
        DROP TRIGGER IF EXISTS instance_days_deleted;
        DROP TRIGGER IF EXISTS instance_days_pinged;
        DROP TRIGGER IF EXISTS instance_days_region_changed;
        DROP TRIGGER IF EXISTS instances_cohort_changed;
        DROP TRIGGER IF EXISTS instances_inserted;
        DROP TRIGGER IF EXISTS instances_deleted;
        DROP TRIGGER IF EXISTS instances_moved;
        """

    /// Recomputes `daily_rollup.new` from `instances`.
    static let rebuildNew: String = """
        UPDATE daily_rollup SET new = 0 WHERE new != 0;
        INSERT INTO daily_rollup (scope, day, active, pings, new)
            SELECT '*', first_day, 0, 0, count(*) FROM instances WHERE 1 GROUP BY first_day
            ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new;
        INSERT INTO daily_rollup (scope, day, active, pings, new)
            SELECT coalesce(region, 'unknown'), first_day, 0, 0, count(*) FROM instances WHERE 1 GROUP BY 1, first_day
            ON CONFLICT (scope, day) DO UPDATE SET new = excluded.new;
        """

    /// Recomputes the rollups of the day rows (`daily_rollup` but `new`, `window_delta`,
    /// `retention_weeks`) from `instance_days`, read once in key order (no sort): each instance's
    /// days are added oldest first, exactly as the live path adds an instance's newest day
    /// (``RollupChanges/membership(day:scope:pings:previous:next:sign:)`` with no next day), and
    /// each rollup row is written once at the end.
    ///
    /// The retention cohort is the instance's `first_day` in `instances`, the one the live path and
    /// the triggers use, so rows are joined to their instance.
    ///
    /// `days_seen_delta` comes from each instance's days, with ``DaysSeen/contribution(ofDays:clip:)``.
    static func rebuildDayRollups(_ db: Database) throws {
        var changes = RollupChanges()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.instance_id, d.day, d.region, d.pings, i.first_day
            FROM instance_days d LEFT JOIN instances i ON i.instance_id = d.instance_id
            ORDER BY d.instance_id, d.day
            """)
        let all = changes.number(ofScope: "*")
        var instance = ""
        var previous: Int? = nil
        // The instance's latest day so far in each scope, by scope number.
        var previousInScope: [Int?] = []
        var previousWeek: Int? = nil
        // Consecutive rows mostly name the same region: its scope number is looked up once.
        var region: String?? = .none
        var scope = all
        // The current instance's days so far, for the 28-day counts.
        var days: [Int] = []
        while let row = try rows.next() {
            let id: String = row[0]
            let day: Int = row[1]
            let rowRegion: String? = row[2]
            if rowRegion != region {
                region = rowRegion
                scope = changes.number(ofScope: RollupChanges.scope(rowRegion))
            }
            let pings: Int = row[3]
            let firstDay: Int? = row[4]
            if id != instance {
                changes.daysSeen(DaysSeen.contribution(ofDays: days))
                days.removeAll(keepingCapacity: true)
                instance = id
                previous = nil
                previousInScope.removeAll(keepingCapacity: true)
                previousWeek = nil
            }
            if scope >= previousInScope.count {
                previousInScope += repeatElement(nil, count: scope - previousInScope.count + 1)
            }
            changes.membership(day: day, scope: all, pings: pings, previous: previous, next: nil, sign: 1)
            changes.membership(day: day, scope: scope, pings: pings, previous: previousInScope[scope], next: nil, sign: 1)
            previous = day
            previousInScope[scope] = day
            days.append(day)
            let week = RollupChanges.monday(day)
            if let firstDay, week != previousWeek {
                changes.activeInWeek(firstDay: firstDay, day: day)
                previousWeek = week
            }
        }
        changes.daysSeen(DaysSeen.contribution(ofDays: days))
        try db.execute(sql: """
            DELETE FROM daily_rollup;
            DELETE FROM window_delta;
            DELETE FROM retention_weeks;
            """)
        try db.execute(sql: "DELETE FROM days_seen_delta")
        try changes.apply(db)
    }

    /// Recomputes every rollup from the rows (after a bulk load, or for a check).
    static func rebuild(_ db: Database) throws {
        try rebuildDayRollups(db)
        try db.execute(sql: rebuildNew)
    }
}
