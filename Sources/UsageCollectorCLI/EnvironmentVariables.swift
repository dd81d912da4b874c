import Foundation
import UsageCollector

/// The environment variables the collector reads, each named once: a flag, when given, wins
/// over its variable; an empty variable counts as unset.
enum EnvironmentVariable {
    static let database = "USAGE_DATABASE_URL"
    static let logLevel = "USAGE_LOG_LEVEL"
    static let pseudonymizeKeyFile = "USAGE_PSEUDONYMIZE_KEY_FILE"
    static let waitForDatabase = "USAGE_WAIT_FOR_DATABASE_SECONDS"
    static let foldInterval = "USAGE_FOLD_INTERVAL_MS"
    static let host = "USAGE_HOST"
    static let port = "USAGE_PORT"
    static let adminToken = "USAGE_ADMIN_TOKEN"
    static let minCount = "USAGE_MIN_COUNT"
    static let retentionDays = "USAGE_RETENTION_DAYS"
    static let rateLimit = "USAGE_RATE_LIMIT"
    static let rateBurst = "USAGE_RATE_BURST"
    static let maxQueuedPings = "USAGE_MAX_QUEUED_PINGS"
}

/// The environment a command resolves its settings in: the process's, or a test's.
struct Environment: Sendable {
    let variables: [String: String]

    static var process: Environment { Environment(variables: ProcessInfo.processInfo.environment) }

    /// The value of a variable, `nil` when unset or empty.
    func value(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// A flag's value, else the variable's as a whole number (an error when it is not one).
    func integer(_ flag: Int?, _ name: String) throws(CollectorConfigurationError) -> Int? {
        if let flag { return flag }
        guard let text = value(name) else { return nil }
        guard let number = Int(text) else { throw CollectorConfigurationError("\(name) must be a whole number; got \(text)") }
        return number
    }
}
