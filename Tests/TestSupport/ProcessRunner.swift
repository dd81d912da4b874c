import Foundation

/// What a finished process did.
public struct ProcessResult: Sendable {
    public let exitCode: Int32
    public let standardOutput: String
    public let standardError: String
    /// Wall time in seconds.
    public let duration: Double

    /// Standard error's JSON log lines, parsed.
    public var logLines: [[String: String]] {
        standardError.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }
}

/// Runs the project's own executables, and other commands, as child processes.
public enum ProcessRunner {
    /// The folder that holds the built products (next to the test bundle).
    public static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// The path of a built executable product such as `usage-agent`.
    public static func product(_ name: String) -> String {
        productsDirectory.appendingPathComponent(name).path
    }

    /// Runs `executable` with `arguments` and exactly `environment` (nil inherits), killing it
    /// after `timeout` seconds. Its output goes to files rather than pipes, so a command that
    /// prints a lot never blocks on a full pipe.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 120
    ) throws -> ProcessResult {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("proc-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("proc-\(UUID().uuidString).err")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let start = Date()
        let child: ChildProcess
        do {
            let out = try openForOutput(outURL)
            defer { close(out) }
            let err = try openForOutput(errURL)
            defer { close(err) }
            child = try ChildProcess(executable, arguments, environment: environment, standardOutput: out, standardError: err)
        }
        let deadline = start.addingTimeInterval(timeout)
        while child.isRunning {
            if Date() > deadline {
                child.send(SIGTERM)
                Thread.sleep(forTimeInterval: 0.5)
                child.send(SIGKILL)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        child.waitUntilExit()
        return ProcessResult(
            exitCode: child.exitCode,
            standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            duration: Date().timeIntervalSince(start)
        )
    }

    /// A new, empty file for a child's output, opened for writing (close-on-exec: the child gets
    /// it as stdout or stderr only).
    public static func openForOutput(_ url: URL) throws -> Int32 {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ChildProcessError(description: "cannot create \(url.path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Like `run`, but waits on a background thread so an async test's fakes keep serving.
    public static func runAsync(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 120
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment, timeout: timeout) })
            }
        }
    }
}
