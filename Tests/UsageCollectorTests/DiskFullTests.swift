import Foundation
import Testing
import TestSupport
import UsageTrackingCore

/// The collector on a filesystem that fills up: pings get 503 with `Retry-After`, `/readyz` says
/// not ready, nothing acknowledged is lost, and it recovers when space returns, without a restart.
@Suite struct DiskFullTests {
    /// Writes zeros to `path` until the filesystem is full; returns the bytes written.
    static func fill(_ path: String) -> Int {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0, count: 64 << 10)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            total += written
        }
        fsync(descriptor)
        return total
    }

    @Test func aFullDiskGets503WithRetryAfterAndTheCollectorRecoversWhenSpaceReturns() async throws {
        guard getuid() == 0 else {
            print("DiskFullTests skipped: mounting a small tmpfs needs root")
            return
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mountPoint = directory.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await ProcessRunner.runAsync("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        guard mounted.exitCode == 0 else {
            print("DiskFullTests skipped: cannot mount a tmpfs here: \(mounted.standardError)")
            return
        }
        defer { _ = try? ProcessRunner.run("/bin/umount", ["-l", mountPoint]) }

        // No rate limit: the pings come from one address faster than its 10 a second.
        try await LiveCollector.run(databasePath: mountPoint + "/usage.sqlite", configure: { $0.rateLimit = 0 }) { collector in
            func id(_ n: Int) -> String { "i-" + String(format: "%08x", n) }
            func ping(_ n: Int) async throws -> LiveCollector.Reply {
                try await collector.post("/v1/pings", #"{"instance_id":"\#(id(n))","region":"us-west-2"}"#)
            }
            var acknowledged: [Int] = []
            for n in 0..<20 {
                #expect(try await ping(n).status == 200)
                acknowledged.append(n)
            }
            let filler = mountPoint + "/filler"
            #expect(Self.fill(filler) > 0)
            // The disk is full: once the write-ahead log must grow, pings are refused, not lost.
            var refused: [(n: Int, reply: LiveCollector.Reply)] = []
            var acknowledgedWhileFull = 0
            for n in 20..<5_000 where refused.count < 5 {
                let reply = try await ping(n)
                if reply.status == 200 {
                    acknowledged.append(n)
                    acknowledgedWhileFull += 1
                } else {
                    refused.append((n, reply))
                }
            }
            #expect(refused.count == 5, "pings were refused once the disk was full")
            for (_, reply) in refused {
                #expect(reply.status == 503)
                #expect(reply.headers["Retry-After"].first == "5")
                #expect(reply.json["error"] as? String == "storage_unavailable")
            }
            #expect(try await collector.get("/readyz").status == 503)

            // Space returns: the same process takes pings again and is ready.
            try FileManager.default.removeItem(atPath: filler)
            let freed = ContinuousClock.now
            #expect(try await ping(9_999).status == 200)
            let firstStored = ContinuousClock.now - freed
            acknowledged.append(9_999)
            #expect(try await collector.get("/readyz").status == 200)
            // Each acknowledged ping stored once, under its own ID; no refused one stored.
            for n in acknowledged {
                let days = try await collector.store.instanceRecord(InstanceID(validating: id(n)))?.days
                #expect(days?.map(\.pings) == [1], "acknowledged \(id(n)) stored as \(String(describing: days))")
            }
            for (n, _) in refused {
                #expect(try await collector.store.instanceRecord(InstanceID(validating: id(n))) == nil, "refused \(id(n)) was stored")
            }
            let pings = try await collector.storedDays().reduce(0) { $0 + $1.pings }
            #expect(pings == acknowledged.count, "every acknowledged ping is counted, no refused one")
            print("DiskFullTests: \(acknowledged.count) pings acknowledged (\(acknowledgedWhileFull) of them with the disk full, before the log had to grow), \(pings) stored, each under its ID, 0 lost, \(refused.count) refused with 503 storage_unavailable and Retry-After 5 and none of them stored, /readyz 503 while full; the first ping after space returned was stored \(firstStored) after it, no restart")
        }
    }
}
