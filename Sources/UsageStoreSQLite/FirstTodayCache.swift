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
///
/// A key is held as its 64-bit hash under the process's random seed (`Hasher`), 8 bytes in the
/// set instead of the key's string, so a day of a million instances takes some 16 MiB. Two keys of
/// one day with the same hash (about one chance in 10^7 at a million instances, and no way to
/// aim for it without the seed) answer `first_today: false` for the second; nothing stored
/// depends on that answer.
public final class FirstTodayCache: Sendable {
    static let daysKept = 3
    /// The most instances held for one day: a day with more is not held, and the store answers
    /// for it (``SQLiteDriver/append(_:)``), so a flood of new IDs cannot grow the collector's
    /// memory past its pod's limit (three days at the bound: some 50 MiB).
    public static let maximumKeysPerDay = 1_000_000

    enum Day {
        case keys(Set<Int>)
        /// More instances than ``maximumKeysPerDay``: not held.
        case tooMany
    }

    private let days = Mutex<[Int: Day]>([:])
    let maximumKeysPerDay: Int

    init(maximumKeysPerDay: Int = FirstTodayCache.maximumKeysPerDay) {
        self.maximumKeysPerDay = maximumKeysPerDay
    }

    /// Whether `day` is loaded.
    func isLoaded(_ day: Int) -> Bool {
        days.withLock { $0[day] != nil }
    }

    /// How a key is held: its hash under the process's seed.
    static func hash(_ key: String) -> Int { key.hashValue }

    /// Holds `keyHashes` (``hash(_:)`` of each key) as the instances seen on `day` (`nil`: more
    /// than the bound), dropping the oldest days beyond ``daysKept`` that are not in `keeping`
    /// (the days of the batch being written).
    func load(_ day: Int, keyHashes: Set<Int>?, keeping: Set<Int>) {
        days.withLock { days in
            days[day] = keyHashes.flatMap { $0.count <= maximumKeysPerDay ? .keys($0) : nil } ?? .tooMany
            let droppable = days.keys.filter { !keeping.contains($0) }.sorted()
            for oldest in droppable.prefix(max(0, days.count - Self.daysKept)) {
                days[oldest] = nil
            }
        }
    }

    /// Whether `key` is held for `day`: false when the day is not loaded, `nil` when the day has
    /// too many instances to hold (ask the store).
    func contains(_ key: String, on day: Int) -> Bool? {
        days.withLock { days in
            switch days[day] {
            case .keys(let keys)?: keys.contains(Self.hash(key))
            case .tooMany?: nil
            case nil: false
            }
        }
    }

    /// Notes pings stored for loaded days; pings of days not loaded are found when a day loads.
    func insert(_ entries: [(key: String, day: Int)]) {
        days.withLock { days in
            for entry in entries {
                guard case .keys(var keys)? = days[entry.day] else { continue }
                days[entry.day] = nil  // one copy of the set while it changes
                keys.insert(Self.hash(entry.key))
                days[entry.day] = keys.count <= maximumKeysPerDay ? .keys(keys) : .tooMany
            }
        }
    }

    /// Forgets an instance on every day.
    func remove(_ key: String) {
        days.withLock { days in
            for (day, state) in days {
                guard case .keys(var keys) = state else { continue }
                days[day] = nil
                keys.remove(Self.hash(key))
                days[day] = .keys(keys)
            }
        }
    }

    /// Drops every day: each is loaded again from the store when next needed.
    func clear() {
        days.withLock { $0.removeAll() }
    }
}
