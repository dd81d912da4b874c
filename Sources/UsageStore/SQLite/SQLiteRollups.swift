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
enum SQLiteRollups {
    static let windows = [7, 28]

    /// The Monday of a day number's week as migrations 003 and 004 shipped it: wrong for days
    /// before 1969-12-29 (see ``triggers005``, which replaced the triggers that used it).
    static func monday(_ day: String) -> String { "(\(day) - ((\(day) + 3) % 7))" }

    /// One INSERT that adds `sign` × the coverage change of `row` (NEW or OLD) to `window_delta`
    /// for window `w` and the scope: all regions, or the row's own region.
    static func windowDelta(row: String, w: Int, regional: Bool, sign: Int) -> String {
        let scope = regional ? scopeOf(row) : "'*'"
        let sameScope = regional ? "AND region IS \(row).region" : ""
        let previous = "(SELECT max(day) FROM instance_days WHERE instance_id = \(row).instance_id \(sameScope) AND day < \(row).day)"
        let next = "(SELECT min(day) FROM instance_days WHERE instance_id = \(row).instance_id \(sameScope) AND day > \(row).day)"
        return """
            INSERT INTO window_delta (window, scope, day, delta)
            SELECT \(w), \(scope), CASE k WHEN 1 THEN s ELSE e + 1 END, CASE k WHEN 1 THEN \(sign) ELSE \(-sign) END
            FROM (SELECT max(\(row).day, coalesce(\(previous) + \(w), \(row).day)) AS s,
                         min(\(row).day + \(w - 1), coalesce(\(next) - 1, \(row).day + \(w - 1))) AS e),
                 (SELECT 1 AS k UNION ALL SELECT 2)
            WHERE s <= e
            ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;
            """
    }

    /// Adds (`sign` 1) or removes (-1) a day row's membership in the daily rollup and the windows
    /// of one scope.
    static func membership(row: String, regional: Bool, sign: Int) -> String {
        let scope = regional ? scopeOf(row) : "'*'"
        let daily = """
            INSERT INTO daily_rollup (scope, day, active, pings)
            SELECT \(scope), \(row).day, \(sign), \(sign) * \(row).pings WHERE 1
            ON CONFLICT (scope, day) DO UPDATE SET active = active + excluded.active, pings = pings + excluded.pings;
            """
        return daily + "\n" + windows.map { windowDelta(row: row, w: $0, regional: regional, sign: sign) }.joined(separator: "\n")
    }

    /// A row's regional scope: its region, or `unknown`.
    static func scopeOf(_ row: String) -> String { "coalesce(\(row).region, 'unknown')" }

    /// Adds `sign` to the retention cell of a day row's week when no other row of the instance
    /// is in that week.
    static func retentionWeek(row: String, sign: Int) -> String {
        let week = monday("\(row).day")
        return """
            INSERT INTO retention_weeks (cohort, week, instances)
            SELECT \(monday("i.first_day")), \(week), \(sign) FROM instances i
            WHERE i.instance_id = \(row).instance_id
              AND NOT EXISTS (SELECT 1 FROM instance_days d WHERE d.instance_id = \(row).instance_id
                              AND d.day BETWEEN \(week) AND \(week) + 6 AND d.day != \(row).day)
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
            """
    }

    /// The tables and triggers of migration 003 (as shipped: what a migration does never changes).
    static let schema: String = """
        CREATE TABLE daily_rollup (
            scope TEXT NOT NULL,
            day INTEGER NOT NULL,
            active INTEGER NOT NULL,
            pings INTEGER NOT NULL,
            PRIMARY KEY (scope, day)
        ) WITHOUT ROWID;
        CREATE TABLE window_delta (
            window INTEGER NOT NULL,
            scope TEXT NOT NULL,
            day INTEGER NOT NULL,
            delta INTEGER NOT NULL,
            PRIMARY KEY (window, scope, day)
        ) WITHOUT ROWID;
        CREATE TABLE retention_weeks (
            cohort INTEGER NOT NULL,
            week INTEGER NOT NULL,
            instances INTEGER NOT NULL,
            PRIMARY KEY (cohort, week)
        ) WITHOUT ROWID;
        CREATE INDEX instances_by_last_day ON instances (last_day);

        \(rowTriggers003)
        """

    /// Migration 003's per-row triggers on `instance_days`. Migration 004 replaced those on
    /// insert and update with ``SQLiteDayWriter``, which sums a transaction's changes first.
    static let rowTriggers003: String = """
        CREATE TRIGGER instance_days_inserted AFTER INSERT ON instance_days BEGIN
            \(membership(row: "NEW", regional: false, sign: 1))
            \(membership(row: "NEW", regional: true, sign: 1))
            \(retentionWeek(row: "NEW", sign: 1))
        END;
        CREATE TRIGGER instance_days_pinged AFTER UPDATE OF pings ON instance_days BEGIN
            UPDATE daily_rollup SET pings = pings + NEW.pings - OLD.pings WHERE scope = '*' AND day = NEW.day;
            UPDATE daily_rollup SET pings = pings + NEW.pings - OLD.pings
            WHERE OLD.region IS NEW.region AND scope = coalesce(NEW.region, 'unknown') AND day = NEW.day;
        END;
        CREATE TRIGGER instance_days_region_changed AFTER UPDATE OF region ON instance_days
        WHEN OLD.region IS NOT NEW.region BEGIN
            \(membership(row: "OLD", regional: true, sign: -1))
            \(membership(row: "NEW", regional: true, sign: 1))
        END;
        \(deletionTrigger)
        \(cohortTrigger)
        """

    /// Migration 004: the insert and update triggers go (``SQLiteDayWriter`` does their work),
    /// and `daily_rollup` gains `new`, the instances whose first day it is (for `*`) or whose
    /// latest region the scope is, kept by triggers on `instances`.
    static let migration004: String = """
        DROP TRIGGER IF EXISTS instance_days_inserted;
        DROP TRIGGER IF EXISTS instance_days_pinged;
        DROP TRIGGER IF EXISTS instance_days_region_changed;
        ALTER TABLE daily_rollup ADD COLUMN new INTEGER NOT NULL DEFAULT 0;
        \(instanceTriggers)
        \(rebuildNew)
        """

    /// A day row deleted (erasure, retention) leaves every rollup.
    static let deletionTrigger: String = """
        CREATE TRIGGER instance_days_deleted AFTER DELETE ON instance_days BEGIN
            \(membership(row: "OLD", regional: false, sign: -1))
            \(membership(row: "OLD", regional: true, sign: -1))
            \(retentionWeek(row: "OLD", sign: -1))
        END;
        """

    /// An instance whose first day moves to another week moves its retention cells to that cohort.
    static let cohortTrigger: String = """
        CREATE TRIGGER instances_cohort_changed AFTER UPDATE OF first_day ON instances
        WHEN \(monday("OLD.first_day")) != \(monday("NEW.first_day")) BEGIN
            INSERT INTO retention_weeks (cohort, week, instances)
            SELECT \(monday("OLD.first_day")), w, -1 FROM (SELECT DISTINCT \(monday("day")) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
            INSERT INTO retention_weeks (cohort, week, instances)
            SELECT \(monday("NEW.first_day")), w, 1 FROM (SELECT DISTINCT \(monday("day")) AS w FROM instance_days WHERE instance_id = NEW.instance_id) WHERE 1
            ON CONFLICT (cohort, week) DO UPDATE SET instances = instances + excluded.instances;
        END;
        """

    /// Adds `sign` to the `new` count of an instance row's first day, for all regions and for
    /// its latest region.
    static func newCount(row: String, sign: Int) -> String {
        ["'*'", scopeOf(row)].map { scope in """
            INSERT INTO daily_rollup (scope, day, active, pings, new) VALUES (\(scope), \(row).first_day, 0, 0, \(sign))
            ON CONFLICT (scope, day) DO UPDATE SET new = new + excluded.new;
            """ }.joined(separator: "\n")
    }

    /// Keep `daily_rollup.new` exact as instances come, go, and change first day or region.
    static let instanceTriggers: String = """
        CREATE TRIGGER instances_inserted AFTER INSERT ON instances BEGIN
            \(newCount(row: "NEW", sign: 1))
        END;
        CREATE TRIGGER instances_deleted AFTER DELETE ON instances BEGIN
            \(newCount(row: "OLD", sign: -1))
        END;
        CREATE TRIGGER instances_moved AFTER UPDATE OF first_day, region ON instances
        WHEN OLD.first_day != NEW.first_day OR OLD.region IS NOT NEW.region BEGIN
            \(newCount(row: "OLD", sign: -1))
            \(newCount(row: "NEW", sign: 1))
        END;
        """

    /// The triggers in force: migration 005's on `instance_days` deletions and cohort moves, and
    /// migration 004's on `instances` (recreated after a bulk load).
    static let triggers = triggers005 + "\n" + instanceTriggers

    /// Migration 005, frozen as literal SQL: the deletion and cohort triggers of 003 again, with a
    /// week's Monday as `day - ((day % 7 + 10) % 7)`, right for negative day numbers too (SQLite's
    /// `%` keeps the sign of the left side, so 003's `day - ((day + 3) % 7)` put days before
    /// 1969-12-29 in the wrong week), the same Monday as `UTCDay.startOfWeek`.
    static let triggers005: String = """
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
        """

    /// Migration 005: the triggers above replace 003's, and the retention cells are recomputed
    /// where a day before 1969-12-29 may have been counted in the wrong week.
    static let migration005: String = """
        DROP TRIGGER IF EXISTS instance_days_deleted;
        DROP TRIGGER IF EXISTS instances_cohort_changed;
        \(triggers005)
        DELETE FROM retention_weeks WHERE (SELECT min(day) FROM instance_days) < -3;
        INSERT INTO retention_weeks (cohort, week, instances)
            SELECT (i.first_day - ((i.first_day % 7 + 10) % 7)), w.week, count(*)
            FROM (SELECT DISTINCT instance_id, (day - ((day % 7 + 10) % 7)) AS week FROM instance_days) w
            JOIN instances i ON i.instance_id = w.instance_id
            WHERE (SELECT min(day) FROM instance_days) < -3
            GROUP BY 1, 2;
        """

    /// Migration 006, frozen as literal SQL: `days_seen_delta(seen, day, delta)`, how many of the
    /// 28 days ending on each day each instance was seen on, as a difference array per count (see
    /// ``DaysSeen``): the instances seen on exactly s of the 28 days ending on D are the sum of
    /// `delta` over rows with `seen` = s and `day` ≤ D. Filled from the rows already there: per
    /// instance, its count changes on each of its days (+1) and 28 days after each (−1); each
    /// stretch between two changes with a count above 0 adds one entry at its start and takes
    /// one away at its end. Kept by ``SQLiteDayWriter`` and by `forget`, `purge` and the rebuild,
    /// all through ``DaysSeen``, not by triggers.
    static let migration006: String = """
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
    /// `daysSeen`: also `days_seen_delta` (migration 006), from each instance's days with
    /// ``DaysSeen/contribution(ofDays:clip:)``. Migration 003, which runs this before that table
    /// exists, passes false.
    static func rebuildDayRollups(_ db: Database, daysSeen: Bool = true) throws {
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
                if daysSeen { changes.daysSeen(DaysSeen.contribution(ofDays: days)) }
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
        if daysSeen { changes.daysSeen(DaysSeen.contribution(ofDays: days)) }
        try db.execute(sql: """
            DELETE FROM daily_rollup;
            DELETE FROM window_delta;
            DELETE FROM retention_weeks;
            """)
        if daysSeen { try db.execute(sql: "DELETE FROM days_seen_delta") }
        try changes.apply(db)
    }

    /// Recomputes every rollup from the rows (after a bulk load, or for a check).
    static func rebuild(_ db: Database) throws {
        try rebuildDayRollups(db)
        try db.execute(sql: rebuildNew)
    }
}
