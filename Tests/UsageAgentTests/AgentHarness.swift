import Foundation
import TestSupport

/// Runs the real `usage-agent` binary with exactly the given environment (plus PATH).
enum AgentHarness {
    static let instanceID = "i-0123456789abcdef0"

    static func run(_ arguments: [String] = [], environment: [String: String], timeout: Double = 90) async throws -> ProcessResult {
        var env = environment
        env["PATH"] = "/usr/bin:/bin"
        return try await ProcessRunner.runAsync(ProcessRunner.product("usage-agent"), arguments, environment: env, timeout: timeout)
    }

    /// The usual environment: the fake metadata service, the collector, no jitter; each metadata
    /// request may take 10 s instead of 2, so that a debug build on a loaded machine is not
    /// mistaken for a missing service.
    static func environment(imdsPort: Int, collectorPort: Int?, protocol: String = "json") -> [String: String] {
        var env = [
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(imdsPort)",
            "AWS_METADATA_SERVICE_TIMEOUT": "10",
            "USAGE_JITTER_SECONDS": "0",
            "USAGE_PROTOCOL": `protocol`,
        ]
        if let collectorPort { env["USAGE_COLLECTOR_URL"] = "http://127.0.0.1:\(collectorPort)" }
        return env
    }
}

extension ProcessResult {
    /// The log line with this message, if any.
    func log(_ message: String) -> [String: String]? {
        logLines.first { $0["message"] == message }
    }

    var messages: [String] { logLines.compactMap { $0["message"] } }
}
