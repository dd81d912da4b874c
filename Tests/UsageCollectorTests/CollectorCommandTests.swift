import Foundation
import Logging
import Testing
import TestSupport
import UsageCollector
@testable import UsageCollectorCLI

/// The collector's flags and environment variables, resolved as `usage-collector` resolves them:
/// a flag wins over its variable, an empty variable is unset, a bad value is a clear error.
struct CollectorCommandTests {
    static func environment(_ variables: [String: String]) -> UsageCollectorCLI.Environment {
        UsageCollectorCLI.Environment(variables: variables)
    }

    static let logger = Logger(label: "test")

    @Test func storeSettingsDefaultToTheSQLiteFileHere() throws {
        let settings = try StoreOptions.parse([]).resolve(in: Self.environment([:]))
        #expect(settings == StoreSettings(database: "./usage.sqlite", logLevel: .info, pseudonymizeKeyFile: nil, waitForDatabaseSeconds: 0, foldIntervalMilliseconds: 250))
        #expect(!settings.isPostgres)
    }

    @Test func storeSettingsComeFromTheEnvironmentAndFlagsWin() throws {
        let environment = Self.environment([
            "USAGE_DATABASE_URL": "postgresql://usage:s3cret@db.internal:5432/usage", "USAGE_LOG_LEVEL": "debug",
            "USAGE_PSEUDONYMIZE_KEY_FILE": "/keys/usage", "USAGE_WAIT_FOR_DATABASE_SECONDS": "30", "USAGE_FOLD_INTERVAL_MS": "",
        ])
        let fromEnvironment = try StoreOptions.parse([]).resolve(in: environment)
        #expect(fromEnvironment == StoreSettings(database: "postgresql://usage:s3cret@db.internal:5432/usage", logLevel: .debug,
                                                 pseudonymizeKeyFile: "/keys/usage", waitForDatabaseSeconds: 30, foldIntervalMilliseconds: 250))
        #expect(fromEnvironment.isPostgres)
        #expect(fromEnvironment.redactedDatabase == "postgresql://usage:***@db.internal:5432/usage")
        let flags = try StoreOptions.parse(["--database", "/data/usage.sqlite", "--log-level", "warning", "--wait-for-database", "0", "--fold-interval-ms", "1000"])
            .resolve(in: environment)
        #expect(flags.database == "/data/usage.sqlite")
        #expect(flags.logLevel == .warning)
        #expect(flags.waitForDatabaseSeconds == 0)
        #expect(flags.foldIntervalMilliseconds == 1000)
        #expect(flags.redactedDatabase == "/data/usage.sqlite")
        #expect(StoreSettings(database: "postgres://usage@db/usage", logLevel: .info, waitForDatabaseSeconds: 0, foldIntervalMilliseconds: 1).redactedDatabase == "postgres://usage@db/usage")
    }

    @Test(arguments: [
        (["USAGE_LOG_LEVEL": "loud"], [String](), "USAGE_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical; got loud"),
        (["USAGE_WAIT_FOR_DATABASE_SECONDS": "soon"], [], "USAGE_WAIT_FOR_DATABASE_SECONDS must be a whole number; got soon"),
        ([:], ["--wait-for-database", "100000"], "--wait-for-database must be a whole number of seconds from 0 to 86400; got 100000"),
        (["USAGE_FOLD_INTERVAL_MS": "0"], [], "--fold-interval-ms must be a whole number from 1 to 3600000; got 0"),
    ])
    func aBadStoreSettingIsAClearError(_ variables: [String: String], _ arguments: [String], _ message: String) throws {
        #expect(throws: CollectorConfigurationError(message)) { try StoreOptions.parse(arguments).resolve(in: Self.environment(variables)) }
    }

    @Test func aLogLevelFlagIsOneOfTheLevels() {
        #expect(throws: (any Error).self) { try StoreOptions.parse(["--log-level", "loud"]) }
        #expect(StoreOptions.helpMessage().contains("trace"), "the help lists the levels")
    }

    @Test func serveDefaultsToLoopbackOn8080() throws {
        let configuration = try Serve.parse([]).configuration(in: Self.environment([:]), logger: Self.logger)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.adminToken == nil)
        #expect(configuration.rateLimit == 10)
        #expect(configuration.rateBurst == 20)
        #expect(configuration.maximumQueuedPings == 1024)
        #expect(configuration.minimumCount == nil)
    }

    @Test func serveSettingsComeFromTheEnvironmentAndFlagsWin() throws {
        let environment = Self.environment([
            "USAGE_HOST": "0.0.0.0", "USAGE_PORT": "9090", "USAGE_ADMIN_TOKEN": "a-token-of-sixteen-chars", "USAGE_MIN_COUNT": "5",
            "USAGE_RETENTION_DAYS": "400", "USAGE_RATE_LIMIT": "2.5", "USAGE_RATE_BURST": "7", "USAGE_MAX_QUEUED_PINGS": "64",
        ])
        let fromEnvironment = try Serve.parse([]).configuration(in: environment, logger: Self.logger)
        #expect(fromEnvironment.host == "0.0.0.0")
        #expect(fromEnvironment.port == 9090)
        #expect(fromEnvironment.adminToken == "a-token-of-sixteen-chars")
        #expect(fromEnvironment.minimumCount == 5)
        #expect(fromEnvironment.retentionDays == 400)
        #expect(fromEnvironment.rateLimit == 2.5)
        #expect(fromEnvironment.rateBurst == 7)
        #expect(fromEnvironment.maximumQueuedPings == 64)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenFile = directory.path("token")
        try "  another-token-of-16+ \n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let flags = try Serve.parse(["--host", "127.0.0.1", "--port", "0", "--admin-token-file", tokenFile, "--rate-limit", "0", "--min-count", "3"])
            .configuration(in: environment, logger: Self.logger)
        #expect(flags.host == "127.0.0.1")
        #expect(flags.port == 0)
        #expect(flags.adminToken == "another-token-of-16+")
        #expect(flags.rateLimit == 0)
        #expect(flags.minimumCount == 3)
    }

    @Test func aBadServeSettingIsAClearError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let empty = directory.path("empty")
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        let cases: [([String: String], [String], String)] = [
            (["USAGE_HOST": "0.0.0.0"], [], "refusing to serve reports on 0.0.0.0 without an admin token: set --admin-token-file or USAGE_ADMIN_TOKEN, or pass --public-reports to publish them"),
            (["USAGE_PORT": "http"], [], "USAGE_PORT must be a whole number; got http"),
            ([:], ["--port", "70000"], "--port must be between 0 and 65535; got 70000"),
            (["USAGE_RATE_LIMIT": "fast"], [], "USAGE_RATE_LIMIT must be a number; got fast"),
            (["USAGE_MIN_COUNT": "1"], [], "--min-count must be at least 2"),
            (["USAGE_ADMIN_TOKEN": "short"], [], "the admin token must have at least 16 characters"),
            ([:], ["--admin-token-file", empty], "the admin token file \(empty) is empty"),
            ([:], ["--admin-token-file", directory.path("missing")], "cannot read the admin token file \(directory.path("missing"))"),
        ]
        for (variables, arguments, message) in cases {
            #expect(throws: CollectorConfigurationError(message), "\(variables) \(arguments)") {
                try Serve.parse(arguments).configuration(in: Self.environment(variables), logger: Self.logger)
            }
        }
        #expect(try Serve.parse(["--host", "0.0.0.0", "--public-reports"]).configuration(in: Self.environment([:]), logger: Self.logger).publicReports)
    }

    @Test func aCSVTableIsLaidOutInColumns() {
        #expect(CSVTable.aligned("day,active\n2026-11-02,2\n2026-11-03,10\n") == "day         active\n2026-11-02       2\n2026-11-03      10\n")
        #expect(CSVTable.aligned("") == "")
    }
}
