import Synchronization

/// Token buckets per client address: `rate` requests per second, bursts of up to `burst`.
///
/// Memory stays bounded: buckets that have refilled completely are forgotten (they are the same
/// as a new one), checked every few thousand calls or when there are too many.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    struct State {
        var buckets: [String: Bucket] = [:]
        var callsSincePrune = 0
    }

    let rate: Double
    let burst: Double
    let maximumClients: Int
    let state = Mutex(State())

    /// - Parameters:
    ///   - rate: tokens added per second.
    ///   - burst: bucket size.
    public init(rate: Double, burst: Int, maximumClients: Int = 100_000) {
        self.rate = rate
        self.burst = Double(max(1, burst))
        self.maximumClients = maximumClients
    }

    /// Takes a token for `client` at `now` (seconds); `nil` when allowed, else the seconds to wait.
    public func acquire(_ client: String, now: Double) -> Int? {
        state.withLock { state in
            state.callsSincePrune += 1
            if state.callsSincePrune >= 4096 || state.buckets.count >= maximumClients {
                prune(&state, now: now)
            }
            var bucket = state.buckets[client] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            defer { state.buckets[client] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    func prune(_ state: inout State, now: Double) {
        state.callsSincePrune = 0
        state.buckets = state.buckets.filter { _, bucket in
            bucket.tokens + (now - bucket.updated) * rate < burst
        }
        // Still too many (a flood of distinct addresses): start afresh rather than grow without bound.
        if state.buckets.count >= maximumClients { state.buckets.removeAll(keepingCapacity: true) }
    }
}
