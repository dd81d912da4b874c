import Foundation
import GRDB
import Logging
import ServiceLifecycle
import TestSupport
import Testing
import UsageStore
import UsageTrackingCore
@testable import UsageStoreSQLite

/// The SQLite write path: a ping is acknowledged on its journal append and folded into the day
/// rows and rollups behind it, and reports count it all the same.
@Suite struct SQLiteJournalTests {
    static let logger = Logger(label: "test")

    /// What the files hold: journal entries (in `<path>-pings`) and (instance, day) rows, read by
    /// connections of their own.
    static func tables(_ path: String) throws -> (journal: Int, dayRows: Int, pings: Int) {
        let journal = try DatabaseQueue(path: path + "-pings").read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM ping_journal") ?? -1
        }
        return try DatabaseQueue(path: path).read { db in
            (
                journal,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM instance_days") ?? -1,
                try Int.fetchOne(db, sql: "SELECT coalesce(sum(pings), 0) FROM instance_days") ?? -1
            )
        }
    }

    @Test func anAcknowledgedPingIsInTheJournalAndTheNextReportCountsIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let store = try SQLiteUsageStore(path: path, logger: Self.logger)
        let outcomes = try await store.record([Sample.ping(1), Sample.ping(1, hour: 13), Sample.ping(2)])
        #expect(outcomes.map(\.firstToday) == [true, false, true])
        // Acknowledged: durable in the journal, not yet in the day rows (no folder runs here).
        let before = try Self.tables(path)
        #expect(before.journal == 3)
        #expect(before.dayRows == 0)
        #expect(store.unfoldedPings == 3)
        let days = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days == [DailyActivity(day: Sample.day(0), active: 2, new: 2, pings: 3)])
        // The report folded the journal: each entry applied once, then deleted.
        let after = try Self.tables(path)
        #expect(after.journal == 0)
        #expect(after.dayRows == 2)
        #expect(after.pings == 3)
        #expect(store.unfoldedPings == 0)
    }

    /// With the folder running every millisecond, each report right after an acknowledgement
    /// counts that ping.
    @Test func aPingAcknowledgedJustBeforeAReportIsCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteUsageStore(path: directory.path("usage.sqlite"), foldInterval: .milliseconds(1), logger: Self.logger)
        let group = ServiceGroup(configuration: .init(services: store.services, gracefulShutdownSignals: [], logger: Self.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for n in 1...200 {
                _ = try await store.record(Sample.ping(n % 37, hour: Int64(n % 24)))
                let today = try await store.dailyActivity(from: Sample.day(0), to: Sample.day(0), window: 1, region: nil)
                #expect(today.first?.pings == n, "ping \(n)")
                #expect(today.first?.active == min(n, 37))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(store.unfoldedPings == 0)
    }

    @Test func firstTodayIsTheStoresAnswerAcrossRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        do {
            let store = try SQLiteUsageStore(path: path, logger: Self.logger)
            #expect(try await store.record(Sample.ping(1, day: 0)).firstToday)
            #expect(try await !store.record(Sample.ping(1, day: 0, hour: 14)).firstToday)
            #expect(try await store.record(Sample.ping(2, day: 1)).firstToday)
        }
        do {
            // The journal is not folded yet: the new process finds the day's instances in it.
            let store = try SQLiteUsageStore(path: path, logger: Self.logger)
            #expect(try Self.tables(path).journal == 3)
            #expect(try await !store.record(Sample.ping(1, day: 0, hour: 15)).firstToday)
            #expect(try await !store.record(Sample.ping(2, day: 1, hour: 15)).firstToday)
            #expect(try await store.record(Sample.ping(1, day: 1, hour: 16)).firstToday)
            try await store.foldJournal()
        }
        let store = try SQLiteUsageStore(path: path, logger: Self.logger)
        // Folded: now found in the day rows.
        #expect(try Self.tables(path).journal == 0)
        #expect(try await !store.record(Sample.ping(1, day: 0, hour: 17)).firstToday)
        // An erased instance starts over; so does a day imported with a merge, the other way.
        _ = try await store.forget(Sample.id(1))
        #expect(try await store.record(Sample.ping(1, day: 0, hour: 18)).firstToday)
        _ = try await store.merge([DayAggregate(Sample.ping(3, day: 1))])
        #expect(try await !store.record(Sample.ping(3, day: 1, hour: 19)).firstToday)
        // Many days in one batch, more than the days kept in memory: each answered from the store.
        let spread = (0..<8).map { Sample.ping(4, day: $0) } + (0..<8).map { Sample.ping(4, day: $0, hour: 20) }
        #expect(try await store.record(spread).map(\.firstToday) == Array(repeating: true, count: 8) + Array(repeating: false, count: 8))
    }

    /// A journal folded in small pieces, with reads between them, ends as one folded at once.
    @Test func foldingInPiecesEndsAsFoldingAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pieces = try SQLiteUsageStore(path: directory.path("pieces.sqlite"), logger: Self.logger)
        let whole = try SQLiteUsageStore(path: directory.path("whole.sqlite"), logger: Self.logger)
        let regions: [String?] = ["us-west-2", nil, "eu-west-1"]
        // Out of order days, regions filled in later, an instance moving region.
        let pings = (0..<900).map { n in
            Sample.ping((n * 7) % 41, day: (n * 13) % 50, hour: Int64(n % 24), region: regions[(n / 5 + n % 2) % 3])
        }
        for batch in stride(from: 0, to: pings.count, by: 64) {
            let slice = Array(pings[batch..<min(batch + 64, pings.count)])
            _ = try await pieces.record(slice)
            _ = try await whole.record(slice)
        }
        #expect(try await pieces.foldJournal(limit: 97) == pings.count)
        let expected = try await allReports(whole)
        #expect(try await allReports(pieces) == expected)
        try await pieces.rebuildRollups()
        #expect(try await allReports(pieces) == expected)
        for n in 0..<41 {
            #expect(try await pieces.instanceRecord(Sample.id(n)) == whole.instanceRecord(Sample.id(n)))
        }
    }

    /// Killed after a fold committed to the database and before it deleted the entries from the
    /// journal: the next start counts them once, and pings after that still count.
    @Test func entriesAppliedBeforeAKillAreNotAppliedAgain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        do {
            let store = try SQLiteUsageStore(path: path, logger: Self.logger)
            _ = try await store.record([Sample.ping(1), Sample.ping(2), Sample.ping(1, hour: 13)])
            // The fold's first transaction only, as a kill right after it leaves the files.
            let driver = store.driver
            let applied = try await driver.writerLock.withLock {
                try await driver.main.writeWithoutTransaction { db in try db.beginTransaction(.immediate) }
                let transaction = SQLiteTransaction(driver: driver)
                let entries = try await transaction.takeJournalEntries(limit: 100)
                try await transaction.fold(InstanceChanges(pings: entries))
                try await driver.main.writeWithoutTransaction { db in try db.commit() }
                return entries.count  // and not transaction.committed(): killed here
            }
            #expect(applied == 3)
            #expect(try await driver.main.read { db in try SQLiteJournal.watermark(db) } == 3)
        }
        #expect(try Self.tables(path).journal == 3)
        let store = try SQLiteUsageStore(path: path, logger: Self.logger)
        #expect(try Self.tables(path).journal == 0, "applied entries are deleted at the next start")
        #expect(store.unfoldedPings == 0)
        _ = try await store.record(Sample.ping(3))
        let days = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days == [DailyActivity(day: Sample.day(0), active: 3, new: 3, pings: 4)])
    }

    /// A journal file deleted while the database says entries up to N were applied: new entries
    /// are numbered above N, so the fold does not take them for applied ones.
    @Test func aLostJournalFileDoesNotHideTheNextPings() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        do {
            let store = try SQLiteUsageStore(path: path, logger: Self.logger)
            _ = try await store.record((0..<5).map { Sample.ping($0) })
            try await store.foldJournal()
        }
        for suffix in ["-pings", "-pings-wal", "-pings-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
        let store = try SQLiteUsageStore(path: path, logger: Self.logger)
        _ = try await store.record([Sample.ping(7), Sample.ping(8)])
        let days = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days == [DailyActivity(day: Sample.day(0), active: 7, new: 7, pings: 7)])
    }
}

/// `first_today` stays exact when a day has more instances than the collector holds in memory:
/// one address sending new IDs at the rate limit grew the cache by 864,000 a day, past the pod's
/// memory in about a day; now a day over the bound is answered by the store.
@Suite struct FirstTodayBoundTests {
    @Test func aDayOverTheBoundIsAnsweredByTheStoreExactly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let main = try DatabasePool(path: path, configuration: SQLiteDriver.configuration())
        let journal = try DatabasePool(path: path + "-pings", configuration: SQLiteDriver.configuration())
        let driver = try SQLiteDriver(main: main, journal: journal, path: path, logger: Logger(label: "test"), firstTodayBound: 10)
        let store = RowStore(driver: driver, pseudonymizer: nil, foldInterval: .milliseconds(250), logger: Logger(label: "test"))
        let first = try await store.record((0..<30).map { Sample.ping($0) })
        #expect(first.allSatisfy { $0.firstToday })
        #expect(driver.seen.contains(Sample.id(1).rawValue, on: Sample.day(0).daysSinceEpoch) == nil, "the day is not held")
        // Half of them folded into the day rows, half still in the journal: both are found.
        _ = try await store.foldJournal()
        let again = try await store.record((0..<30).map { Sample.ping($0, hour: 13) } + [Sample.ping(40), Sample.ping(40, hour: 14)])
        #expect(again.prefix(30).allSatisfy { !$0.firstToday })
        #expect(again[30].firstToday)
        #expect(!again[31].firstToday, "the second ping of a new instance in one batch")
        let third = try await store.record([Sample.ping(40, hour: 15), Sample.ping(41)])
        #expect(third.map(\.firstToday) == [false, true], "an unfolded ping of the day is found in the journal")
    }
}
