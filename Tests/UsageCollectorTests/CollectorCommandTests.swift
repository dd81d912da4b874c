import Foundation
import Logging
import Testing
import TestSupport
import UsageCollector
import CommandSettings
@testable import UsageCollectorCLI

/// The collector's flags and environment variables, resolved as `usage-collector` resolves them:
/// a flag wins over its variable, an empty variable is unset, a bad value is a clear error.
struct CollectorCommandTests {
    static func environment(_ variables: [String: String]) -> [String: String] { variables }

    static let logger = Logger(label: "test")

    @Test func storeSettingsDefaultToTheSQLiteFileHere() throws {
        let settings = try StoreOptions.parse([]).resolve(in: Self.environment([:]))
        #expect(settings == StoreSettings(database: "./usage.sqlite", logLevel: .info, pseudonymizeKeyFile: nil, waitForDatabaseSeconds: 0))
        #expect(!StoreOpener.isPostgres(settings.database))
    }

    @Test func storeSettingsComeFromTheEnvironmentAndFlagsWin() throws {
        let environment = Self.environment([
            "USAGE_DATABASE_URL": "postgresql://usage:s3cret@db.internal:5432/usage", "USAGE_LOG_LEVEL": "debug",
            "USAGE_PSEUDONYMIZE_KEY_FILE": "/keys/usage", "USAGE_WAIT_FOR_DATABASE_SECONDS": "30", "USAGE_FOLD_INTERVAL_MS": "",
        ])
        let fromEnvironment = try StoreOptions.parse([]).resolve(in: environment)
        #expect(fromEnvironment == StoreSettings(database: "postgresql://usage:s3cret@db.internal:5432/usage", logLevel: .debug,
                                                 pseudonymizeKeyFile: "/keys/usage", waitForDatabaseSeconds: 30))
        #expect(StoreOpener.isPostgres(fromEnvironment.database))
        #expect(fromEnvironment.redactedDatabase == "postgresql://usage:***@db.internal:5432/usage")
        let flags = try StoreOptions.parse(["--database", "/data/usage.sqlite", "--log-level", "warning", "--wait-for-database", "0"])
            .resolve(in: environment)
        #expect(flags.database == "/data/usage.sqlite")
        #expect(flags.logLevel == .warning)
        #expect(flags.waitForDatabaseSeconds == 0)
        #expect(flags.redactedDatabase == "/data/usage.sqlite")
        #expect(StoreSettings(database: "postgres://usage@db/usage", logLevel: .info, waitForDatabaseSeconds: 0).redactedDatabase == "postgres://usage@db/usage")
        // Only serve folds on an interval: it is serve's setting, read from its flag or variable.
        let served = try Serve.parse(["--fold-interval-ms", "1000"]).storeSettings(in: environment)
        #expect(served.foldIntervalMilliseconds == 1000)
        #expect(try Serve.parse([]).storeSettings(in: ["USAGE_FOLD_INTERVAL_MS": "40"]).foldIntervalMilliseconds == 40)
    }

    @Test(arguments: [
        (["USAGE_LOG_LEVEL": "loud"], [String](), #"USAGE_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical; got "loud""#),
        (["USAGE_WAIT_FOR_DATABASE_SECONDS": "soon"], [], #"USAGE_WAIT_FOR_DATABASE_SECONDS must be a whole number from 0 to 86400; got "soon""#),
        ([:], ["--wait-for-database", "100000"], "--wait-for-database must be a whole number from 0 to 86400; got 100000"),
    ])
    func aBadStoreSettingIsAClearError(_ variables: [String: String], _ arguments: [String], _ message: String) throws {
        #expect(throws: SettingError.self) { try StoreOptions.parse(arguments).resolve(in: Self.environment(variables)) }
        do {
            _ = try StoreOptions.parse(arguments).resolve(in: Self.environment(variables))
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func aBadFoldIntervalIsAClearError() throws {
        #expect(throws: SettingError.self) { try Serve.parse([]).storeSettings(in: ["USAGE_FOLD_INTERVAL_MS": "0"]) }
        do {
            _ = try Serve.parse([]).storeSettings(in: ["USAGE_FOLD_INTERVAL_MS": "0"])
        } catch {
            #expect("\(error)" == #"USAGE_FOLD_INTERVAL_MS must be a whole number from 1 to 3600000; got "0""#)
        }
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
            (["USAGE_PORT": "http"], [], #"USAGE_PORT must be a whole number from 0 to 65535; got "http""#),
            ([:], ["--port", "70000"], "--port must be a whole number from 0 to 65535; got 70000"),
            (["USAGE_RATE_LIMIT": "fast"], [], #"USAGE_RATE_LIMIT must be a number of requests per second, 0 or more; got "fast""#),
            (["USAGE_MIN_COUNT": "1"], [], #"USAGE_MIN_COUNT must be a whole number from 2 to 1000000; got "1""#),
            (["USAGE_PUBLIC_REPORTS": "maybe"], [], #"USAGE_PUBLIC_REPORTS must be true or false; got "maybe""#),
            (["USAGE_ADMIN_TOKEN": "short"], [], "the admin token must have at least 16 characters"),
            ([:], ["--admin-token-file", empty], "the admin token file \(empty) is empty"),
            ([:], ["--admin-token-file", directory.path("missing")], "cannot read the admin token file \(directory.path("missing"))"),
        ]
        for (variables, arguments, message) in cases {
            #expect(throws: (any Error).self, "\(variables) \(arguments)") {
                try Serve.parse(arguments).configuration(in: Self.environment(variables), logger: Self.logger)
            }
            do {
                _ = try Serve.parse(arguments).configuration(in: Self.environment(variables), logger: Self.logger)
            } catch {
                #expect("\(error)" == message, "\(variables) \(arguments)")
            }
        }
        #expect(try Serve.parse(["--host", "0.0.0.0", "--public-reports"]).configuration(in: Self.environment([:]), logger: Self.logger).publicReports)
        #expect(try Serve.parse(["--host", "0.0.0.0"]).configuration(in: ["USAGE_PUBLIC_REPORTS": "true"], logger: Self.logger).publicReports)
    }

    @Test func aCSVTableIsLaidOutInColumns() {
        #expect(CSVTable.aligned("day,active\n2026-11-02,2\n2026-11-03,10\n") == "day         active\n2026-11-02       2\n2026-11-03      10\n")
        #expect(CSVTable.aligned("") == "")
    }

    /// Each option's help names its variable and its default once, and a command offers only
    /// the settings it uses.
    @Test func theHelpSaysEachDefaultOnceAndEachCommandOffersWhatItUses() throws {
        let serve = Serve.helpMessage(columns: 400)
        #expect(!serve.contains("(default:"), "argument-parser's own default beside the declaration's")
        for variable in ["USAGE_HOST", "USAGE_PORT", "USAGE_MAX_CONNECTIONS", "USAGE_REQUEST_TIMEOUT_SECONDS", "USAGE_FOLD_INTERVAL_MS", "USAGE_DATABASE_URL"] {
            #expect(serve.contains("Env: \(variable)."), "\(variable)")
        }
        #expect(serve.contains("Default: 2048."))
        for command in [ImportS3Logs.helpMessage(columns: 400), ImportCSV.helpMessage(columns: 400), Stats.helpMessage(columns: 400), Generate.helpMessage(columns: 400), Forget.helpMessage(columns: 400), Purge.helpMessage(columns: 400)] {
            #expect(!command.contains("--fold-interval-ms"))
            #expect(!command.contains("--max-connections"))
            #expect(command.contains("--database"))
        }
    }
}
