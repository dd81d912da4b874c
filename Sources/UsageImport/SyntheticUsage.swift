import UsageStore
import UsageTrackingCore

/// `generate`: a realistic synthetic data set for demos and benchmarks. Installations arrive at a
/// growing rate, each stays a random number of weeks (daily churn), pings dip at weekends, and
/// regions follow a skewed mix. The same seed gives the same data.
public struct SyntheticUsage {
    public let instances: Int
    public let days: Int
    public let seed: UInt64
    /// The last day of the data set.
    public let end: UTCDay

    public init(instances: Int, days: Int, seed: UInt64, end: UTCDay) {
        self.instances = instances
        self.days = days
        self.seed = seed
        self.end = end
    }

    /// Regions and their weights.
    static let regions: [(String, Int)] = [
        ("us-east-1", 30), ("us-west-2", 25), ("eu-west-1", 12), ("eu-central-1", 8), ("ap-northeast-1", 6),
        ("ap-southeast-2", 5), ("us-east-2", 5), ("ap-south-1", 3), ("ca-central-1", 2), ("sa-east-1", 1),
        ("cn-north-1", 1), ("us-gov-west-1", 1), ("il-central-1", 1),
    ]

    /// Calls `body` with batches of per-day aggregates, oldest instances first.
    public func generate(batchSize: Int = 100_000, _ body: ([DayAggregate]) async throws -> Void) async throws {
        var random = SeededRandom(seed: seed)
        let first = end.advanced(by: -(days - 1))
        let totalWeight = Self.regions.reduce(0) { $0 + $1.1 }
        var batch: [DayAggregate] = []
        batch.reserveCapacity(batchSize)
        for index in 0..<instances {
            // Growth: arrivals are denser later (the square root of a uniform draw).
            let start = first.advanced(by: min(days - 1, Int(Double(days) * random.unit().squareRoot())))
            // Churn: about 1.2% of the installations stop each day; a quarter are short trials.
            let lifetime = random.unit() < 0.25 ? 1 + random.below(7) : Int(-((1 - random.unit()).log()) / 0.012) + 1
            var pick = random.below(totalWeight)
            var region = Self.regions[0].0
            for (code, weight) in Self.regions {
                if pick < weight { region = code; break }
                pick -= weight
            }
            let hex = String(UInt64(index) &* 0x9E37_79B9 &+ seed, radix: 16)
            let instanceID = try InstanceID(validating: "i-" + String(repeating: "0", count: max(0, 17 - hex.count)) + hex.suffix(17))
            let regionValue = try Region(validating: region)
            let last = min(end, start.advanced(by: lifetime - 1))
            var day = start
            while day <= last {
                // Weekends dip: clusters scaled down or stopped.
                let weekend = day.isoWeekday >= 6
                if day == start || random.unit() < (weekend ? 0.72 : 0.97) {
                    let millisecond = day.startMilliseconds + Int64(random.below(86_400_000))
                    var aggregate = DayAggregate(Ping(instanceID: instanceID, region: regionValue, receivedAtMilliseconds: millisecond))
                    if day == start { aggregate.add(Ping(instanceID: instanceID, region: regionValue, receivedAtMilliseconds: millisecond)) }
                    batch.append(aggregate)
                    if batch.count == batchSize {
                        try await body(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                day = day.advanced(by: 1)
            }
        }
        if !batch.isEmpty { try await body(batch) }
    }
}

/// SplitMix64: small, fast and deterministic.
public struct SeededRandom {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// An integer in [0, bound).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

extension Double {
    func log() -> Double {
        #if canImport(Glibc)
        return Glibc.log(self)
        #else
        return Darwin.log(self)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
