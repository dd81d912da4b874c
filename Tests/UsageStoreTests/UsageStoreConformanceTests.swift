import Testing
import UsageStore
import UsageTrackingCore

/// The behaviour every `UsageStore` backend must have; each test runs once per backend.
@Suite struct UsageStoreConformanceTests {
    /// `verify` finds a rollup cell that no longer equals what the rows give (an edit by hand, a
    /// crash, an old collector's fold) with both values, and a rebuild makes it equal again.
    @Test(arguments: StoreBackend.allCases)
    func verifyFindsAnEditedRollupCellAndARebuildRepairsIt(_ backend: StoreBackend) async throws {
        let (store, execute, cleanup) = try backend.makeStoreWithSQL()
        defer { cleanup() }
        _ = try await store.record([Sample.ping(1), Sample.ping(2), Sample.ping(2, hour: 13), Sample.ping(3, day: 2, region: "eu-west-1")])
        _ = try await store.merge([DayAggregate(Sample.ping(4, day: 9))])
        #expect(try await store.verify() == [])
        let day = Sample.day(0)
        try await execute("UPDATE daily_rollup SET active = active + 5 WHERE scope = 'us-west-2' AND day = \(day.daysSinceEpoch)")
        try await execute("DELETE FROM retention_weeks")
        let drifts = try await store.verify().map(\.description)
        #expect(drifts.contains("daily_rollup scope=us-west-2 day=\(day): active stored 7, rows give 2"), "\(drifts)")
        #expect(drifts.contains { $0.hasPrefix("retention_weeks cohort=") && $0.contains("instances stored 0, rows give") })
        try await store.rebuildRollups()
        #expect(try await store.verify() == [])
        #expect(try await store.dailyActivity(from: day, to: day, window: 1, region: Sample.region("us-west-2")).first?.active == 2)
    }

    @Test(arguments: StoreBackend.allCases)
    func aPingIsStoredOncePerDayHoweverOftenItArrives(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let first = try await store.record(Sample.ping(1, hour: 1))
        let second = try await store.record(Sample.ping(1, hour: 5))
        let third = try await store.record(Sample.ping(1, hour: 3))
        #expect(first.firstToday)
        #expect(!second.firstToday)
        #expect(!third.firstToday)
        let summary = try #require(try await store.instanceRecord(Sample.id(1)))
        #expect(summary.days.count == 1)
        #expect(summary.days[0].pings == 3)
        #expect(summary.days[0].firstSeen == "2026-11-29T01:00:00.000Z")
        #expect(summary.days[0].lastSeen == "2026-11-29T05:00:00.000Z")
        #expect(summary.firstActiveDay == "2026-11-29")
        #expect(summary.lastActiveDay == "2026-11-29")
        #expect(summary.region == "us-west-2")
    }

    /// A day keeps the first region named for it, the instance takes the latest: an instance whose
    /// pings of one day name eu-west-1, then us-west-2, is active in eu-west-1 and new in
    /// us-west-2, and the regions report lists both.
    @Test(arguments: StoreBackend.allCases)
    func aRegionWithANewInstanceAndNoActiveDayIsListed(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        _ = try await store.record([Sample.ping(1, hour: 1, region: "eu-west-1"), Sample.ping(1, hour: 2, region: "us-west-2")])
        let report = try await store.regions(from: nil, to: nil)
        #expect(report.regions == [
            RegionActivity(region: "eu-west-1", active1d: 1, active7d: 1, active28d: 1, new: 0, pings: 2),
            RegionActivity(region: "us-west-2", active1d: 0, active7d: 0, active28d: 0, new: 1, pings: 0),
        ])
    }

    @Test(arguments: StoreBackend.allCases)
    func duplicatesInsideOneBatchCountOnce(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        let outcomes = try await store.record([Sample.ping(1), Sample.ping(2), Sample.ping(1, hour: 13)])
        #expect(outcomes.map(\.firstToday) == [true, true, false])
        let days = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days == [DailyActivity(day: Sample.day(0), active: 2, new: 2, pings: 3)])
    }

    @Test(arguments: StoreBackend.allCases)
    func aNewUTCDayIsANewRow(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        // 23:59:59.999 and 00:00:00.000 the next day.
        let late = Ping(instanceID: Sample.id(1), region: Sample.region("us-west-2"), receivedAtMilliseconds: Sample.day0 + Sample.dayLength - 1)
        let early = Ping(instanceID: Sample.id(1), region: Sample.region("us-west-2"), receivedAtMilliseconds: Sample.day0 + Sample.dayLength)
        #expect(try await store.record(late).firstToday)
        #expect(try await store.record(early).firstToday)
        let summary = try #require(try await store.instanceRecord(Sample.id(1)))
        #expect(summary.days.map(\.day) == ["2026-11-29", "2026-11-30"])
        #expect(summary.firstActiveDay == "2026-11-29")
        #expect(summary.lastActiveDay == "2026-11-30")
    }

    @Test(arguments: StoreBackend.allCases)
    func dailyActivityCountsActiveNewAndPingsWithGapsFilled(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        _ = try await store.record([
            Sample.ping(1, day: 0), Sample.ping(1, day: 0, hour: 14), Sample.ping(2, day: 0),
            Sample.ping(1, day: 1), Sample.ping(3, day: 1, region: "eu-west-1"),
            Sample.ping(2, day: 3),
        ])
        let days = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days == [
            DailyActivity(day: Sample.day(0), active: 2, new: 2, pings: 3),
            DailyActivity(day: Sample.day(1), active: 2, new: 1, pings: 2),
            DailyActivity(day: Sample.day(2), active: 0, new: 0, pings: 0),
            DailyActivity(day: Sample.day(3), active: 1, new: 0, pings: 1),
        ])
        let weekly = try await store.dailyActivity(from: Sample.day(0), to: Sample.day(3), window: 7, region: nil)
        #expect(weekly.map(\.active) == [2, 3, 3, 3])
        let europe = try await store.dailyActivity(from: Sample.day(0), to: Sample.day(1), window: 1, region: Sample.region("eu-west-1"))
        #expect(europe.map(\.active) == [0, 1])
        #expect(europe.map(\.new) == [0, 1])
        let outside = try await store.dailyActivity(from: Sample.day(10), to: Sample.day(11), window: 1, region: nil)
        #expect(outside.map(\.active) == [0, 0])
    }

    @Test(arguments: StoreBackend.allCases)
    func anEmptyStoreReportsNothing(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        #expect(try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil) == [])
        #expect(try await store.instanceRecord(Sample.id(1)) == nil)
        try await store.checkReadiness()
    }

    @Test(arguments: StoreBackend.allCases)
    func anUnknownRegionIsFilledInByALaterPing(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        _ = try await store.record(Sample.ping(1, hour: 1, region: nil))
        var summary = try #require(try await store.instanceRecord(Sample.id(1)))
        #expect(summary.days[0].region == nil)
        _ = try await store.record(Sample.ping(1, hour: 2, region: "cn-north-1"))
        _ = try await store.record(Sample.ping(1, hour: 3, region: nil))
        summary = try #require(try await store.instanceRecord(Sample.id(1)))
        #expect(summary.days[0].region == "cn-north-1")
        #expect(summary.region == "cn-north-1")
    }

    // MARK: Pseudonymisation

    @Test(arguments: StoreBackend.allCases)
    func pseudonymisedReportsEqualPlainReportsAndNoRawIDIsStored(_ backend: StoreBackend) async throws {
        let (plain, plainCleanup) = try backend.makeStore()
        defer { plainCleanup() }
        let (hashed, _, storedKeys, cleanup) = try backend.makeReopenableStore(pseudonymizer: PrivacyTests.pseudonymizer())
        defer { cleanup() }
        #expect(try await plain.record(PrivacyTests.pings) == hashed.record(PrivacyTests.pings))
        #expect(try await allReports(hashed) == allReports(plain))
        // What one instance holds is found through its raw ID.
        #expect(try await hashed.instanceRecord(Sample.id(1))?.days.map(\.pings) == [2, 1])
        let stored = try await storedKeys()
        #expect(stored.count == 10)  // 6 day rows, 4 instances
        #expect(stored.allSatisfy { $0.count == 64 && !$0.hasPrefix("i-") })
        #expect(stored.contains(PrivacyTests.pseudonymizer().pseudonym(for: Sample.id(1))))
    }

    @Test(arguments: StoreBackend.allCases)
    func aDifferentKeyOrNoKeyIsRefusedOnAnExistingDatabase(_ backend: StoreBackend) async throws {
        let (hashed, reopenHashed, _, cleanup) = try backend.makeReopenableStore(pseudonymizer: PrivacyTests.pseudonymizer())
        defer { cleanup() }
        _ = try await hashed.record(Sample.ping(1))
        try await reopenHashed(PrivacyTests.pseudonymizer())  // the same key: fine
        await #expect { try await reopenHashed(PrivacyTests.pseudonymizer("another-key-of-enough-bytes-here")) }
            throws: { "\($0)".contains("refusing to mix them") }
        await #expect { try await reopenHashed(nil) } throws: { "\($0)".contains("refusing to start without --pseudonymize-key-file") }
        let (plain, reopenPlain, _, plainCleanup) = try backend.makeReopenableStore()
        defer { plainCleanup() }
        _ = try await plain.record(Sample.ping(1))
        await #expect { try await reopenPlain(PrivacyTests.pseudonymizer()) } throws: { "\($0)".contains("holds plain instance IDs") }
    }
}

/// Weeks before 1970: day numbers are negative there, and every formula for a week's Monday must
/// still land on the Monday (1970-01-01 was a Thursday, day 0; 1969-12-29, day -3, a Monday).
@Suite struct WeeksBefore1970Tests {
    static func ping(_ instance: Int, day: Int) -> Ping {
        Ping(instanceID: Sample.id(instance), region: Sample.region("us-west-2"), receivedAtMilliseconds: Int64(day) * 86_400_000 + 3_600_000)
    }

    static func week(_ monday: Int) -> UTCDay { UTCDay(daysSinceEpoch: monday) }

    @Test(arguments: StoreBackend.allCases)
    func erasingAndPurgingDaysOf1969KeepsTheRetentionCohortsRight(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        #expect(UTCDay(daysSinceEpoch: -4).startOfWeek.daysSinceEpoch == -10)
        // Instance 1: Sunday 1969-12-28 (week of Monday 1969-12-22, day -10), Monday 1969-12-29 and
        // Saturday 1970-01-03 (week of day -3). Instance 2: Sunday 1969-12-21 (week of day -17) and day -4.
        _ = try await store.record([Self.ping(1, day: -4), Self.ping(1, day: -3), Self.ping(1, day: 2), Self.ping(2, day: -11), Self.ping(2, day: -4)])
        #expect(try await store.retention(from: nil, to: nil) == [
            RetentionCohort(week: Self.week(-17), instances: 1, active: [1, 1, 0]),
            RetentionCohort(week: Self.week(-10), instances: 1, active: [1, 1]),
        ])
        // Erasing instance 2 takes its cells out of the weeks they were counted in.
        _ = try await store.forget(Sample.id(2))
        #expect(try await store.retention(from: nil, to: nil) == [
            RetentionCohort(week: Self.week(-10), instances: 1, active: [1, 1]),
        ])
        // Purging day -4 moves instance 1's first day to day -3: its cohort becomes that week.
        _ = try await store.purge(olderThan: 5, today: UTCDay(daysSinceEpoch: 2))
        #expect(try await store.retention(from: nil, to: nil) == [
            RetentionCohort(week: Self.week(-3), instances: 1, active: [1]),
        ])
    }

    // MARK: Merge, erasure, retention

    @Test(arguments: StoreBackend.allCases)
    func mergeIsIdempotentAndCountsWhatItChanged(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        var aggregate = DayAggregate(Sample.ping(1, hour: 3))
        aggregate.lastSeenMilliseconds += 3_600_000
        aggregate.pings = 2
        #expect(try await store.merge([aggregate, DayAggregate(Sample.ping(2))]) == MergeCounts(inserted: 2))
        #expect(try await store.merge([aggregate, DayAggregate(Sample.ping(2))]) == MergeCounts(unchanged: 2))
        aggregate.pings = 5
        #expect(try await store.merge([aggregate]) == MergeCounts(updated: 1))
        #expect(try await store.instanceRecord(Sample.id(1))?.days.map(\.pings) == [5])
    }

    /// What a user sees of an erasure; that no byte of the instance is left in the files is
    /// SQLite's `PrivacyTests`.
    @Test(arguments: StoreBackend.allCases)
    func forgetRemovesEveryRowOfOneInstance(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        _ = try await store.record(PrivacyTests.pings)
        let other = try await store.instanceRecord(Sample.id(1))
        #expect(try await store.forget(Sample.id(2)) == 3)  // two day rows and the instance row
        #expect(try await store.instanceRecord(Sample.id(2)) == nil)
        #expect(try await store.forget(Sample.id(2)) == 0)
        #expect(try await store.instanceRecord(Sample.id(1)) == other)
        #expect(try await store.dailyActivity(from: Sample.day(0), to: Sample.day(0), window: 1, region: nil).first?.active == 1)
        #expect(try await store.daysSeen(from: Sample.day(8), to: Sample.day(8)).first?.active == 2)  // 1 and 3
    }

    @Test(arguments: StoreBackend.allCases)
    func purgeKeepsARowExactlyNDaysOldAndRemovesOlderOnes(_ backend: StoreBackend) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        _ = try await store.record(PrivacyTests.pings)
        // Today is day 9; with N = 8, day 1 is exactly 8 days old and stays; day 0 goes.
        let summary = try await store.purge(olderThan: 8, today: Sample.day(9))
        #expect(summary.cutoff == Sample.day(1))
        #expect(summary.dayRows == 2)  // (1, day 0) and (2, day 0)
        #expect(summary.instances == 0)  // both have later days
        let days = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        #expect(days.first?.day == Sample.day(1))
        #expect(try await store.instanceRecord(Sample.id(1))?.days.map(\.day) == ["2026-11-30"])
        #expect(try await store.instanceRecord(Sample.id(1))?.firstActiveDay == "2026-11-30")
        #expect(try await store.instanceRecord(Sample.id(2))?.days.map(\.day) == ["2026-12-07"])
        // Day 9: 1 (day 1), 2 (day 8), 3 (day 1) and 4 (day 9), each seen on one day of the 28.
        #expect(try await store.daysSeen(from: Sample.day(9), to: Sample.day(9)).first?.instances.first == 4)
        // An instance whose only rows were purged is gone.
        _ = try await store.record(Sample.ping(9, day: 0))
        let again = try await store.purge(olderThan: 8, today: Sample.day(9))
        #expect(again.dayRows == 1)
        #expect(again.instances == 1)
        #expect(try await store.instanceRecord(Sample.id(9)) == nil)
    }
}
