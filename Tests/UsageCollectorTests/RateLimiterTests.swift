import Testing
@testable import UsageCollector

@Suite struct RateLimiterTests {
    /// A client rotating through the addresses of its IPv6 /64 escaped the limit: it is one client.
    @Test func anIPv6ClientIsItsSlash64() {
        #expect(ClientAddress.key("2001:db8:1:2:aaaa::1") == ClientAddress.key("2001:db8:1:2:bbbb:cccc:dddd:eeee"))
        #expect(ClientAddress.key("2001:db8:1:2::1") != ClientAddress.key("2001:db8:1:3::1"))
        #expect(ClientAddress.key("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(ClientAddress.key("192.0.2.7") == "192.0.2.7")
        let limiter = RateLimiter(rate: 1, burst: 2)
        var allowed = 0
        for host in 1...10 where limiter.acquire(ClientAddress.key("2001:db8:1:2::\(host)"), now: 0) == nil { allowed += 1 }
        #expect(allowed == 2)
    }

    /// At the bound, the clients not seen for longest are forgotten, not every client at once: a
    /// client that keeps sending keeps its empty bucket through a flood of new addresses.
    @Test func aFloodOfClientsForgetsTheOldestNotEveryone() {
        let limiter = RateLimiter(rate: 0.001, burst: 1, maximumClients: 1000)
        #expect(limiter.acquire("198.51.100.1", now: 0) == nil)
        for n in 0..<5000 {
            _ = limiter.acquire("10.0.\(n / 256).\(n % 256)", now: 1)
            if n % 100 == 0 { #expect(limiter.acquire("198.51.100.1", now: 1) != nil, "the busy client was forgotten after \(n) others") }
        }
        #expect(limiter.remembered <= 1000)
    }
}
