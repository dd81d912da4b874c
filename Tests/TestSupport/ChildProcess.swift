import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests' servers and commands.
///
/// Not Foundation's `Process`: on Linux its `run()` lists `/proc/self/fd` to close every other
/// descriptor in the child, and copies each entry's whole 256-byte `d_name` out of `readdir`'s
/// buffer. With more than about 1,350 descriptors open (the whole suite starting at once has
/// about 1,400) the last entry sits at the buffer's end, the copy reads past it, and the test
/// process dies of SIGSEGV in `memmove` whenever that buffer ends a heap mapping: CI's run of
/// 234b3fa, 40d3cee and e1458cb, registers holding `/proc/self/fd` entries "1364" and "1365"
/// and a 256-byte copy. Here the child closes every descriptor from 3 up itself
/// (`posix_spawn_file_actions_addclosefrom_np`), with nothing listed in the parent.
///
/// The child gets stdin from /dev/null and stdout and stderr from the given descriptors, its own
/// process group (as `Process` gave it, so a terminal's Ctrl-C reaches only the test runner), an
/// empty signal mask and default signal handlers (the runner's threads block and ignore some).
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable` (a path) with `arguments` and exactly `environment` (nil inherits).
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                standardOutput: Int32, standardError: Int32) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "open /dev/null")
        try Self.check(posix_spawn_file_actions_adddup2(&actions, standardOutput, 1), "dup2 stdout")
        try Self.check(posix_spawn_file_actions_adddup2(&actions, standardError, 2), "dup2 stderr")
        try Self.check(Self.addCloseFrom(&actions, 3), "closefrom")

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try Self.check(posix_spawnattr_setsigmask(&attributes, &noSignals), "sigmask")
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "sigdefault")
        try Self.check(posix_spawnattr_setpgroup(&attributes, 0), "pgroup")
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)), "flags")

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = environment.map { $0.map { "\($0.key)=\($0.value)" } } ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ChildProcessError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// Whether the child has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        lock.withLock {
            guard status == nil else { return false }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            return status == nil
        }
    }

    /// Waits for the child to exit, polling (so that any thread may ask at any time).
    @discardableResult
    public func waitUntilExit() -> Int32 {
        while isRunning { usleep(10_000) }
        return exitCode
    }

    /// The exit status, or the number of the signal that ended the child (as `Process` has it);
    /// -1 while it runs.
    public var exitCode: Int32 {
        lock.withLock {
            guard let raw = status else { return -1 }
            let signal = raw & 0x7f
            return signal == 0 ? (raw >> 8) & 0xff : signal
        }
    }

    /// Whether a signal ended the child.
    public var wasSignalled: Bool {
        lock.withLock { status.map { ($0 & 0x7f) != 0 && ($0 & 0x7f) != 0x7f } ?? false }
    }

    /// Sends `signal` unless the child has been reaped (its pid may be another process's by then).
    public func send(_ signal: Int32) {
        lock.withLock {
            if status == nil { _ = Glibc.kill(pid, signal) }
        }
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw ChildProcessError(description: "posix_spawn \(what): \(String(cString: strerror(result)))") }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does
    /// not import (looked up at run time).
    private static let addCloseFromFunction: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    private static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ first: Int32) -> Int32 {
        guard let addCloseFromFunction else { return ENOSYS }
        return addCloseFromFunction(actions, first)
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
}
