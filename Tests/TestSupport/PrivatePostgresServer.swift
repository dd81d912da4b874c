import Foundation
import UsageStore
import UsageStorePostgres

/// A PostgreSQL server of one test's own, from Debian's binaries (`/usr/lib/postgresql/*/bin`),
/// in a temporary folder on a free loopback port: a test that restarts or stops its server must
/// not take the shared one (``PostgresTestServer``) from the other tests. As root, `initdb` and
/// the server run as Debian's `postgres` user (`setpriv`, which execs: signals reach the server).
///
/// The server runs in the foreground, a child of this process: `pg_ctl` would leave it to outlive
/// `pg_ctl` holding descriptors Foundation's `Process` watches, and `pg_ctl` would never be seen
/// to end. Stopping sends the server's own signals (SIGINT fast, SIGQUIT immediate). Each step
/// waits on a thread of its own, so an async test's clients keep running. Call ``remove()``.
///
/// For a failover, ``startStandby()`` makes a streaming standby of a server (`pg_basebackup -R`),
/// which can later take the primary's address (``move(to:)``, as a managed database's endpoint
/// moves to its standby) and be promoted (``promote()``).
public final class PrivatePostgresServer: @unchecked Sendable {
    let folder: String
    let binaries: String
    /// `-c` settings of this server beyond the ones every private server has.
    let settings: [String]
    let lock = NSLock()
    var server: BackgroundProcess?
    var currentPort: Int

    /// The loopback port it listens on (changed by ``move(to:)``).
    public var port: Int { lock.withLock { currentPort } }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// Debian's PostgreSQL binaries, the newest version installed, if any.
    public static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().last.map { "\(root)/\($0)/bin" }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }

    /// Creates the cluster and starts the server, with `settings` (`name=value`) beyond the
    /// usual ones.
    public static func start(settings: [String] = []) async throws -> PrivatePostgresServer {
        try await offThread { try PrivatePostgresServer(settings: settings) }
    }

    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// A new cluster (`initdb`), or, given `primary`, a copy of that one's that streams from it.
    init(settings: [String] = [], standbyOf primary: PrivatePostgresServer? = nil) throws {
        guard let binaries = Self.binaries else {
            throw StoreError("PostgreSQL's server binaries are not installed (apt-get install postgresql; .ci/run does)")
        }
        self.binaries = binaries
        self.settings = settings
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("usage-private-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        currentPort = try ExternalTools.freePort()
        if getuid() == 0 {
            let owned = try ProcessRunner.run("/bin/chown", ["postgres", folder])
            guard owned.exitCode == 0 else { throw StoreError("chown postgres \(folder): \(owned.standardError)") }
        }
        // initdb's pg_hba.conf trusts loopback replication connections, which the standby makes.
        let command = primary.map {
            ["\(binaries)/pg_basebackup", "-h", "127.0.0.1", "-p", "\($0.port)", "-U", "postgres", "-D", folder + "/data", "-R", "-X", "stream", "-c", "fast"]
        } ?? ["\(binaries)/initdb", "-D", folder + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]
        let (tool, arguments) = asPostgres(command)
        let created = try ProcessRunner.run(tool, arguments, timeout: 90)
        guard created.exitCode == 0 else { throw StoreError("\(command[0]): \(created.standardError)\(created.standardOutput)") }
        try startServer()
    }

    /// The command line that runs `command` as `postgres` when this process is root.
    func asPostgres(_ command: [String]) -> (String, [String]) {
        getuid() == 0
            ? ("/usr/bin/setpriv", ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--"] + command)
            : (command[0], Array(command.dropFirst()))
    }

    func startServer(extraSettings: [String] = []) throws {
        let port = self.port
        let (executable, arguments) = asPostgres([
            "\(binaries)/postgres", "-D", folder + "/data", "-c", "listen_addresses=127.0.0.1", "-c", "port=\(port)",
            "-c", "unix_socket_directories=\(folder)", "-c", "max_connections=100", "-c", "fsync=off", "-c", "full_page_writes=off",
        ] + (settings + extraSettings).flatMap { ["-c", $0] })
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

    /// A streaming standby of this server, started and caught up: a server of its own, on a port
    /// of its own, from `pg_basebackup -R`. With `synchronous_standby_names=*` among this
    /// server's settings, a commit here is acknowledged only once the standby has it.
    public func startStandby() async throws -> PrivatePostgresServer {
        let standby = try await Self.offThread { [self] in try PrivatePostgresServer(standbyOf: self) }
        let url = try PostgresDatabaseURL(self.url)
        for _ in 0..<600 {
            let streaming = try await PostgresTestServer.query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", on: url)
            if try streaming.first?.decode(Int.self) ?? 0 > 0 { return standby }
            try await Task.sleep(for: .milliseconds(100))
        }
        standby.remove()
        throw StoreError("the standby did not start streaming within 60 s: \(standby.log.suffix(2000))")
    }

    /// Stalls (SIGSTOP) or resumes (SIGCONT) this standby's WAL receiver, as a replication link
    /// that stops carrying anything does: the primary's commits then wait for it, if synchronous.
    public func stallReplication(_ stalled: Bool) async throws {
        let rows = try await PostgresTestServer.query("SELECT pid FROM pg_stat_wal_receiver", on: PostgresDatabaseURL(url))
        guard let pid = try rows.first?.decode(Int32.self) else { throw StoreError("the standby has no WAL receiver") }
        guard Glibc.kill(pid, stalled ? SIGSTOP : SIGCONT) == 0 else { throw StoreError("kill \(pid): errno \(errno)") }
    }

    /// Stops the server cleanly and starts it again on `port`, still a standby but streaming from
    /// no one (its primary is gone): the address clients know now leads here.
    public func move(to port: Int) async throws {
        try await Self.offThread { [self] in
            stopServer(mode: "fast")
            lock.withLock { currentPort = port }
            try startServer(extraSettings: ["primary_conninfo="])
        }
    }

    /// Ends a standby's recovery (`pg_ctl promote`, which waits until it takes writes).
    public func promote() async throws {
        try await Self.offThread { [self] in
            let (tool, arguments) = asPostgres(["\(binaries)/pg_ctl", "promote", "-D", folder + "/data", "-w", "-t", "60"])
            let promoted = try ProcessRunner.run(tool, arguments, timeout: 90)
            guard promoted.exitCode == 0 else { throw StoreError("pg_ctl promote: \(promoted.standardError)\(promoted.standardOutput)") }
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
