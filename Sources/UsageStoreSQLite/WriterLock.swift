import UsageStore
import Synchronization

/// One holder at a time, in the order they asked, held across suspension points: a write
/// transaction of the main file spans several database accesses, and no other writer of this
/// process may slip its statements in between.
final class WriterLock: Sendable {
    struct State {
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    let state = Mutex(State())

    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }

    func lock() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                if state.held {
                    state.waiting.append(waiter)
                    return false
                }
                state.held = true
                return true
            }
            if acquired { waiter.resume() }
        }
    }

    /// Hands the lock to the next waiter, or frees it.
    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.held = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
