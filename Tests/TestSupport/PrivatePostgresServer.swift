import Foundation
import UsageStore

/// A PostgreSQL server of one test's own, from Debian's binaries (`/usr/lib/postgresql/*/bin`),
/// in a temporary folder on a free loopback port: a test that restarts or stops its server must
/// not take the shared one (``PostgresTestServer``) from the other tests. As root, `initdb` and
/// the server run as Debian's `postgres` user (`setpriv`, which execs: signals reach the server).
///
/// The server runs in the foreground, a child of this process: `pg_ctl` would leave it to outlive
/// `pg_ctl` holding descriptors Foundation's `Process` watches, and `pg_ctl` would never be seen
/// to end. Stopping sends the server's own signals (SIGINT fast, SIGQUIT immediate). Each step
/// waits on a thread of its own, so an async test's clients keep running. Call ``remove()``.
public final class PrivatePostgresServer: @unchecked Sendable {
    public let port: Int
    let folder: String
    let binaries: String
    let lock = NSLock()
    var server: BackgroundProcess?

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// Debian's PostgreSQL binaries, the newest version installed, if any.
    public static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().last.map { "\(root)/\($0)/bin" }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }

    /// Creates the cluster and starts the server.
    public static func start() async throws -> PrivatePostgresServer {
        try await offThread { try PrivatePostgresServer() }
    }

    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    init() throws {
        guard let binaries = Self.binaries else {
            throw StoreError("PostgreSQL's server binaries are not installed (apt-get install postgresql; .ci/run does)")
        }
        self.binaries = binaries
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("usage-private-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        port = try ExternalTools.freePort()
        if getuid() == 0 {
            let owned = try ProcessRunner.run("/bin/chown", ["postgres", folder])
            guard owned.exitCode == 0 else { throw StoreError("chown postgres \(folder): \(owned.standardError)") }
        }
        let (tool, arguments) = asPostgres(["\(binaries)/initdb", "-D", folder + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
        let initdb = try ProcessRunner.run(tool, arguments, timeout: 90)
        guard initdb.exitCode == 0 else { throw StoreError("initdb: \(initdb.standardError)\(initdb.standardOutput)") }
        try startServer()
    }

    /// The command line that runs `command` as `postgres` when this process is root.
    func asPostgres(_ command: [String]) -> (String, [String]) {
        getuid() == 0
            ? ("/usr/bin/setpriv", ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--"] + command)
            : (command[0], Array(command.dropFirst()))
    }

    func startServer() throws {
        let (executable, arguments) = asPostgres([
            "\(binaries)/postgres", "-D", folder + "/data", "-c", "listen_addresses=127.0.0.1", "-c", "port=\(port)",
            "-c", "unix_socket_directories=\(folder)", "-c", "max_connections=100", "-c", "fsync=off", "-c", "full_page_writes=off",
        ])
        let process = try BackgroundProcess(executable, arguments)
        lock.withLock { server = process }
        for _ in 0..<600 {
            let ready = try ProcessRunner.run("\(binaries)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres"], timeout: 10)
            if ready.exitCode == 0 { return }
            guard process.isRunning else { throw StoreError("PostgreSQL did not start: \(process.output)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw StoreError("PostgreSQL did not accept connections within 60 s: \(process.output)")
    }

    func stopServer(mode: String) {
        guard let process = lock.withLock({ server }) else { return }
        process.kill(mode == "immediate" ? SIGQUIT : SIGINT)
        lock.withLock { server = nil }
    }

    /// Starts the server again and waits until it accepts connections.
    public func start() async throws {
        try await Self.offThread { [self] in try startServer() }
    }

    /// Stops the server: `fast` ends sessions and shuts down cleanly, `immediate` is a crash
    /// (recovery at the next start).
    public func stop(mode: String) async throws {
        try await Self.offThread { [self] in stopServer(mode: mode) }
    }

    /// Stops the server in `mode` and starts it again, waiting until it accepts connections.
    public func restart(mode: String) async throws {
        try await Self.offThread { [self] in
            stopServer(mode: mode)
            try startServer()
        }
    }

    /// The server's log so far, for a failure message.
    public var log: String { lock.withLock { server }?.output ?? "" }

    /// Stops the server (if running) and removes its folder.
    public func remove() {
        stopServer(mode: "immediate")
        try? FileManager.default.removeItem(atPath: folder)
    }
}
