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
    /// Held while Foundation's `Process.run()` starts a child, so that no two start at once: runs
    /// that started children from several threads together crashed inside `Process.run()` (a
    /// memmove on a bad pointer, seen three times, in different suites); the wait for a child is
    /// not under it.
    public static let launchLock = NSLock()

    /// The folder that holds the built products (next to the test bundle).
    public static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// The path of a built executable product such as `usage-agent`.
    public static func product(_ name: String) -> String {
        productsDirectory.appendingPathComponent(name).path
    }

    /// Runs `executable` with `arguments` and exactly `environment` (nil inherits), killing it
    /// after `timeout` seconds.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 120
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("proc-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("proc-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try launchLock.withLock { try process.run() }
        let deadline = start.addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                Thread.sleep(forTimeInterval: 0.5)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ProcessResult(
            exitCode: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            duration: Date().timeIntervalSince(start)
        )
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
