import UsageStore
import Synchronization

/// The stored instance keys with a ping on each of a few recent days, in memory: how a store whose
/// acknowledgement waits only for a journal append answers `first_today` without reading the day
/// rows.
///
/// A day is loaded from the store the first time a ping of that day arrives (after a start, after
/// a purge, after a failed write), so the answer is the store's, also for pings acknowledged
/// before a restart. At most ``daysKept`` days are held; the oldest is dropped first. It is exact
/// for the pings and merges of this process; a second process writing into the same database
/// (an import run beside the server) is seen only once the day is loaded again.
final class FirstTodayCache: Sendable {
    static let daysKept = 3

    private let days = Mutex<[Int: Set<String>]>([:])

    init() {}

    /// Whether `day` is loaded.
    func isLoaded(_ day: Int) -> Bool {
        days.withLock { $0[day] != nil }
    }

    /// Holds `keys` as the instances seen on `day`, dropping the oldest days beyond ``daysKept``
    /// that are not in `keeping` (the days of the batch being written).
    func load(_ day: Int, keys: [String], keeping: Set<Int>) {
        days.withLock { days in
            days[day] = Set(keys)
            let droppable = days.keys.filter { !keeping.contains($0) }.sorted()
            for oldest in droppable.prefix(max(0, days.count - Self.daysKept)) {
                days[oldest] = nil
            }
        }
    }

    /// Whether `key` is held for `day` (false when the day is not loaded).
    func contains(_ key: String, on day: Int) -> Bool {
        days.withLock { $0[day]?.contains(key) ?? false }
    }

    /// Notes pings stored for loaded days; pings of days not loaded are found when a day loads.
    func insert(_ entries: [(key: String, day: Int)]) {
        days.withLock { days in
            for entry in entries where days[entry.day] != nil {
                days[entry.day]!.insert(entry.key)
            }
        }
    }

    /// Forgets an instance on every day.
    func remove(_ key: String) {
        days.withLock { days in
            for day in days.keys { days[day]!.remove(key) }
        }
    }

    /// Drops every day: each is loaded again from the store when next needed.
    func clear() {
        days.withLock { $0.removeAll() }
    }
}
