import Synchronization

/// Token buckets per client: `rate` requests per second, bursts of up to `burst`.
///
/// Memory stays bounded without forgetting the clients in use: buckets live in two generations,
/// the current one and the one before; a bucket used is moved to the current one, and when it
/// holds half of `maximumClients` the older generation goes. A client not seen for a whole
/// generation starts with a full bucket, as a new one would (least recently used first).
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    struct State {
        var current: [String: Bucket] = [:]
        var previous: [String: Bucket] = [:]
    }

    let rate: Double
    let burst: Double
    let generationSize: Int
    let state = Mutex(State())

    /// - Parameters:
    ///   - rate: tokens added per second.
    ///   - burst: bucket size.
    ///   - maximumClients: the most clients remembered at once.
    public init(rate: Double, burst: Int, maximumClients: Int = 100_000) {
        self.rate = rate
        self.burst = Double(max(1, burst))
        self.generationSize = max(1, maximumClients / 2)
    }

    /// Takes a token for `client` (``ClientAddress/key(_:)``) at `now` (seconds); `nil` when
    /// allowed, else the seconds to wait.
    public func acquire(_ client: String, now: Double) -> Int? {
        state.withLock { state in
            var bucket = state.current[client] ?? state.previous.removeValue(forKey: client) ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * rate)
            bucket.updated = now
            let wait: Int?
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                wait = nil
            } else {
                wait = max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
            }
            if state.current[client] == nil, state.current.count >= generationSize {
                state.previous = state.current
                state.current = [:]
            }
            state.current[client] = bucket
            return wait
        }
    }

    /// Clients remembered now (for tests).
    var remembered: Int { state.withLock { $0.current.count + $0.previous.count } }
}
