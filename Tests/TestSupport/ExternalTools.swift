import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Commands some tests need from outside the package (installed by `.ci/run`).
public enum ExternalTools {
    /// True in CI, where a missing tool is a failure rather than a skip.
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false }

    /// The full path of `name` on PATH, if it is installed.
    public static func path(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test needing `name` should run: when it is installed, and always in CI (where
    /// its absence then fails the test instead of skipping it).
    public static func shouldRun(_ name: String) -> Bool { inCI || path(name) != nil }

    /// The real Python interpreter (not a pyenv shim, whose child would outlive a SIGTERM), when
    /// it can import `module`.
    public static func python(withModule module: String) -> String? {
        guard let python3 = path("python3"),
              let result = try? ProcessRunner.run(python3, ["-c", "import sys, \(module); print(sys.executable)"], timeout: 60),
              result.exitCode == 0
        else { return nil }
        let interpreter = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return interpreter.isEmpty ? nil : interpreter
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago, for servers that must be told their port.
    public static func freePort() throws -> Int {
        let listener = try SilentListener()
        defer { listener.close() }
        return listener.port
    }
}

/// A child process that runs until `stop()`: a server the test needs, such as moto_server.
public final class BackgroundProcess: @unchecked Sendable {
    let child: ChildProcess
    let logURL: URL

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("bg-\(UUID().uuidString).log")
        let log = try ProcessRunner.openForOutput(logURL)
        defer { close(log) }
        child = try ChildProcess(executable, arguments, environment: environment, standardOutput: log, standardError: log)
    }

    /// Everything the process has printed so far.
    public var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { child.isRunning }

    /// The process's ID.
    public var pid: Int32 { child.pid }

    /// Sends a signal (SIGKILL to test crashes) and waits for the process to end.
    public func kill(_ signal: Int32) {
        guard child.isRunning else { return }
        child.send(signal)
        child.waitUntilExit()
    }

    public var exitCode: Int32 { child.exitCode }

    /// SIGTERM, then SIGKILL if it is still running after five seconds.
    public func stop() {
        if child.isRunning {
            child.send(SIGTERM)
            for _ in 0..<100 where child.isRunning {
                Thread.sleep(forTimeInterval: 0.05)
            }
            child.send(SIGKILL)
            child.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }
}
