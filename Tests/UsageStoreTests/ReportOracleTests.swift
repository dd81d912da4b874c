import Testing
import UsageStore
import UsageTrackingCore
import UsageStoreSQLite

/// The reports against a brute-force oracle computed from the same pings, after random
/// histories: pings out of order, unknown regions filled in later, erasures and purges.
@Suite struct ReportOracleTests {
    /// A tiny deterministic generator, so a failure can be replayed from its seed.
    struct SplitMix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// What the store should hold: per (instance, day) the region and pings, and per instance its
    /// latest region (that of its latest day; a ping naming none does not erase a known one).
    struct Oracle {
        var rows: [Int: [Int: (region: String?, pings: Int)]] = [:]
        var latest: [Int: (day: Int, region: String?)] = [:]

        /// A live ping: the day's count grows by one.
        mutating func record(_ instance: Int, day: Int, region: String?) {
            write(instance, day: day, region: region) { $0 + 1 }
        }

        /// An imported aggregate of one ping: merged, the larger count stays.
        mutating func merge(_ instance: Int, day: Int, region: String?) {
            write(instance, day: day, region: region) { max($0, 1) }
        }

        mutating func write(_ instance: Int, day: Int, region: String?, pings: (Int) -> Int) {
            var days = rows[instance, default: [:]]
            if let existing = days[day] {
                days[day] = (existing.region ?? region, pings(existing.pings))
            } else {
                days[day] = (region, 1)
            }
            rows[instance] = days
            if let known = latest[instance] {
                latest[instance] = day >= known.day ? (day, region ?? known.region) : (known.day, known.region ?? region)
            } else {
                latest[instance] = (day, region)
            }
        }

        mutating func forget(_ instance: Int) {
            rows[instance] = nil
            latest[instance] = nil
        }

        /// Instances first seen on `day` whose latest region is `region` (all with `nil`).
        func new(day: Int, region: String?) -> Int {
            rows.keys.filter { firstDay($0) == day && (region == nil || (latest[$0]!.region ?? "unknown") == region) }.count
        }

        func scope(_ region: String?, matches filter: String?) -> Bool {
            filter == nil || (region ?? "unknown") == filter
        }

        func actives(window: Int, day: Int, region: String?) -> Int {
            rows.values.filter { days in
                days.contains { $0.key > day - window && $0.key <= day && scope($0.value.region, matches: region) }
            }.count
        }

        func pings(day: Int, region: String?) -> Int {
            rows.values.compactMap { $0[day] }.filter { scope($0.region, matches: region) }.reduce(0) { $0 + $1.pings }
        }

        /// Per count s (index s - 1), the instances seen on exactly s of the 28 days ending on `day`.
        func daysSeen(day: Int) -> [Int] {
            var counts = Array(repeating: 0, count: 28)
            for days in rows.values {
                let seen = days.keys.filter { $0 > day - 28 && $0 <= day }.count
                if seen > 0 { counts[seen - 1] += 1 }
            }
            return counts
        }

        func firstDay(_ instance: Int) -> Int? { rows[instance]?.keys.min() }
        func lastDay(_ instance: Int) -> Int? { rows[instance]?.keys.max() }
    }

    @Test(arguments: StoreBackend.allCases, Array(1...20) as [UInt64])
    func reportsMatchABruteForceOracle(_ backend: StoreBackend, _ seed: UInt64) async throws {
        let (store, cleanup) = try backend.makeStore()
        defer { cleanup() }
        // SQLite's journal is folded by a task of its own all along, beside the writes and reads.
        guard let sqlite = store as? SQLiteUsageStore else {
            return try await run(store, seed: seed)
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                while !Task.isCancelled {
                    try await sqlite.foldJournal()
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            try await run(store, seed: seed)
            tasks.cancelAll()
            try? await tasks.waitForAll()
        }
    }

    func run(_ store: any UsageStore, seed: UInt64) async throws {
        var random = SplitMix(state: seed)
        var oracle = Oracle()
        let regions: [String?] = ["us-west-2", "eu-west-1", "cn-north-1", nil]
        // Each instance keeps a home region, but some pings name none.
        // Most batches are live pings; some are imports, merged (one aggregate per (instance, day)).
        // A few instances move to another region now and then.
        var batch: [Ping] = []
        var imported = random.next(3) == 0
        // An import's batch is applied per instance in day order, on both backends: an older day
        // only fills in an unknown region, so the order decides which older day does.
        var importedRows: [(instance: Int, day: Int, region: String?)] = []
        func flush() async throws {
            if imported {
                _ = try await store.merge(batch.map(DayAggregate.init))
                for row in importedRows.sorted(by: { ($0.instance, $0.day) < ($1.instance, $1.day) }) {
                    oracle.merge(row.instance, day: row.day, region: row.region)
                }
            } else {
                _ = try await store.record(batch)
            }
            batch = []
            importedRows = []
        }
        for _ in 0..<600 {
            let instance = random.next(40)
            let day = random.next(70)
            let home = regions[(instance + (random.next(10) == 0 ? 1 : 0)) % 3]
            let region = random.next(5) == 0 ? nil : home
            let ping = Sample.ping(instance, day: day, hour: Int64(random.next(24)), region: region)
            if imported {
                guard !batch.contains(where: { $0.instanceID == ping.instanceID && $0.day == ping.day }) else { continue }
                importedRows.append((instance, day, region))
            } else {
                oracle.record(instance, day: day, region: region)
            }
            batch.append(ping)
            if batch.count == 1 + random.next(25) {
                try await flush()
                imported = random.next(3) == 0
                // Now and then a read between writes: it counts every ping written so far.
                if random.next(12) == 0 { try await compare(store, oracle) }
            }
        }
        try await flush()
        // Erase a few instances.
        for _ in 0..<3 {
            let instance = random.next(40)
            let removed = try await store.forget(Sample.id(instance))
            #expect(removed == (oracle.rows[instance].map { $0.count + 1 } ?? 0))
            oracle.forget(instance)
        }
        try await compare(store, oracle)
        // The rollups rebuilt from the rows give the same answers as those the triggers kept.
        if let sqlite = store as? SQLiteUsageStore {
            try await sqlite.rebuildRollups()
            try await compare(store, oracle)
        } else if let postgres = store as? RunningPostgresStore {
            try await postgres.rebuildRollups()
            try await compare(store, oracle)
        }
        // Purge everything more than 60 days before day 69.
        _ = try await store.purge(olderThan: 60, today: Sample.day(69))
        for instance in oracle.rows.keys {
            oracle.rows[instance] = oracle.rows[instance]!.filter { $0.key >= 9 }
            if oracle.rows[instance]!.isEmpty { oracle.rows[instance] = nil }
        }
        try await compare(store, oracle)
    }

    func compare(_ store: any UsageStore, _ oracle: Oracle) async throws {
        let allDays = oracle.rows.values.flatMap(\.keys)
        guard let first = allDays.min(), let last = allDays.max() else { return }
        for region in [nil, "us-west-2", "eu-west-1", "cn-north-1"] as [String?] {
            let filter = try region.map { try Region(validating: $0) }
            for window in [1, 7, 28] {
                let days = try await store.dailyActivity(from: Sample.day(first), to: Sample.day(last), window: window, region: filter)
                #expect(days.map(\.active) == (first...last).map { oracle.actives(window: window, day: $0, region: region) }, "window \(window), region \(region ?? "*")")
                #expect(days.map(\.pings) == (first...last).map { oracle.pings(day: $0, region: region) }, "pings, region \(region ?? "*")")
            }
        }
        for region in [nil, "us-west-2", "eu-west-1", "cn-north-1"] as [String?] {
            let filter = try region.map { try Region(validating: $0) }
            let new = try await store.newInstances(from: Sample.day(first), to: Sample.day(last), region: filter)
            #expect(new.map(\.count) == (first...last).map { oracle.new(day: $0, region: region) }, "new, region \(region ?? "*")")
        }
        let churned = try await store.churned(after: 5, from: Sample.day(first), to: Sample.day(last), region: nil)
        #expect(churned.map(\.count) == (first...last).map { day in oracle.rows.keys.filter { oracle.lastDay($0) == day - 5 }.count })
        let cohorts = try await store.retention(from: nil, to: nil)
        let lastWeek = Sample.day(last).startOfWeek
        var expected: [RetentionCohort] = []
        let instancesByCohort = Dictionary(grouping: oracle.rows.keys) { Sample.day(oracle.firstDay($0)!).startOfWeek }
        for cohort in instancesByCohort.keys.sorted() {
            let members = instancesByCohort[cohort]!
            let active = stride(from: cohort, through: lastWeek, by: 7).map { week in
                members.filter { member in oracle.rows[member]!.keys.contains { Sample.day($0).startOfWeek == week } }.count
            }
            expected.append(RetentionCohort(week: cohort, instances: members.count, active: active))
        }
        #expect(cohorts == expected)
        let regions = try await store.regions(from: Sample.day(first), to: Sample.day(last))
        for row in regions.regions {
            let region: String? = row.region
            #expect(row.active1d == oracle.actives(window: 1, day: last, region: region), "\(row.region)")
            #expect(row.active7d == oracle.actives(window: 7, day: last, region: region), "\(row.region)")
            #expect(row.active28d == oracle.actives(window: 28, day: last, region: region), "\(row.region)")
            #expect(row.pings == (first...last).map { oracle.pings(day: $0, region: region) }.reduce(0, +), "\(row.region)")
            #expect(row.new == (first...last).map { oracle.new(day: $0, region: region) }.reduce(0, +), "new, \(row.region)")
        }
        let expectedRegions = Set(oracle.rows.values.flatMap { $0.values.map { $0.region ?? "unknown" } })
        #expect(Set(regions.regions.map(\.region)).isSuperset(of: expectedRegions))
        // By days seen, from before the first day to after the last (the counts run on 27 days).
        let seen = try await store.daysSeen(from: Sample.day(first - 2), to: Sample.day(last + 30))
        #expect(seen.map(\.day) == (first - 2...last + 30).map(Sample.day))
        #expect(seen.map(\.instances) == (first - 2...last + 30).map(oracle.daysSeen(day:)), "days seen")
        let defaulted = try await store.daysSeen(from: nil, to: nil)
        #expect(defaulted.map(\.instances) == (first...last).map(oracle.daysSeen(day:)), "days seen over the days stored")
        #expect(defaulted.map(\.active) == (first...last).map { oracle.actives(window: 28, day: $0, region: nil) })
    }
}
