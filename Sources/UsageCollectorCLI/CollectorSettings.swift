import ArgumentParser
import CommandSettings
import Logging

/// Every setting of `usage-collector`, declared once (``Setting``): `serve`'s own, and those of
/// the database every command opens. The README's configuration table is made from these lists.
enum CollectorSettings {
    // MARK: The database (every command)

    static let database = Setting.text(
        "database", variable: "USAGE_DATABASE_URL", valueName: "PATH|URL", default: "./usage.sqlite", defaultText: "`./usage.sqlite`",
        summary: "SQLite file path, or `postgres://user:pass@host:port/db[?sslmode=require]` to scale out."
    )
    static let logLevel = Setting.logLevel(variable: "USAGE_LOG_LEVEL")
    static let pseudonymizeKeyFile = Setting.text(
        "pseudonymize-key-file", variable: "USAGE_PSEUDONYMIZE_KEY_FILE", valueName: "FILE", default: nil, defaultText: "off",
        summary: "Store HMAC-SHA256(key, ID) instead of the ID, the key read from this file: its bytes (a UTF-8 text file: its text without the whitespace around it), at least 128 bits for a new database (`openssl rand -hex 32 > FILE`), readable by the collector only; a database refuses a different key."
    )
    static let waitForDatabase = Setting.integer(
        "wait-for-database", variable: "USAGE_WAIT_FOR_DATABASE_SECONDS", valueName: "SECONDS", default: 0, in: 0...86_400,
        summary: "PostgreSQL: seconds to keep trying to connect at start (1, 2, 4, then every 8 s), for a database that starts after the collector; 0 fails at once."
    )
    /// What every command that opens the database takes.
    static let databaseSettings: [any SettingDescription] = [database, logLevel, pseudonymizeKeyFile, waitForDatabase]

    // MARK: serve

    static let host = Setting.text(
        "host", variable: "USAGE_HOST", valueName: "ADDRESS", default: "127.0.0.1", defaultText: "`127.0.0.1`",
        summary: "Address to listen on."
    )
    static let port = Setting.integer(
        "port", variable: "USAGE_PORT", default: 8080, defaultText: "`8080`", in: 0...65535,
        summary: "Port to listen on (0 picks a free one; the log says which)."
    )
    static let adminTokenFile = Setting.text(
        "admin-token-file", variable: "USAGE_ADMIN_TOKEN_FILE", valueName: "FILE", default: nil,
        summary: "File holding the bearer token (16+ characters) the read side requires."
    )
    static let adminToken = Setting.text(
        nil, variable: "USAGE_ADMIN_TOKEN", valueName: "TOKEN", default: nil,
        summary: "The read side's bearer token itself, when no token file is given."
    )
    static let publicReports = Setting.switch(
        "public-reports", variable: "USAGE_PUBLIC_REPORTS",
        summary: "Serve reports without a token on a non-loopback address (what one instance holds stays private)."
    )
    static let minCount = Setting.integer(
        "min-count", variable: "USAGE_MIN_COUNT", valueName: "K", default: nil, defaultText: "off", in: 2...1_000_000,
        summary: "Report cells of 1 to K-1 instances show as `<K`."
    )
    static let retentionDays = Setting.integer(
        "retention-days", variable: "USAGE_RETENTION_DAYS", default: nil, defaultText: "keep", in: 1...36_500,
        summary: "Purge day rows older than N days, once a day."
    )
    static let rateLimit = Setting<Double>(
        flag: "rate-limit", variable: "USAGE_RATE_LIMIT", valueName: "N", default: 10, defaultText: "`10`",
        summary: "Ingest requests per second per client (token bucket); every other route of the main port takes 10 times this; 0 turns both off.",
        expectation: "a number of requests per second, 0 or more", accepts: { $0 >= 0 && $0.isFinite }
    )
    static let rateBurst = Setting.integer(
        "rate-burst", variable: "USAGE_RATE_BURST", valueName: "B", default: 20, defaultText: "`20`", in: 1...1_000_000,
        summary: "Requests a client may send at once."
    )
    static let trustProxy = Setting.switch(
        "trust-proxy", variable: "USAGE_TRUST_PROXY",
        summary: "Take the client address from `X-Forwarded-For` (its last entry); only behind a proxy you trust."
    )
    static let maxConnections = Setting.integer(
        "max-connections", variable: "USAGE_MAX_CONNECTIONS", default: 2048, defaultText: "`2048`", in: 1...1_000_000,
        summary: "Connections served at once; more wait in the listen backlog."
    )
    static let maxConnectionsPerClient = Setting.integer(
        "max-connections-per-client", variable: "USAGE_MAX_CONNECTIONS_PER_CLIENT", default: 64, defaultText: "`64`", in: 0...1_000_000,
        summary: "Connections one client (an IPv4 address, an IPv6 /64) holds at once; more are closed as they open; 0 turns it off (it is off with `--trust-proxy`)."
    )
    static let metricsHost = Setting.text(
        "metrics-host", variable: "USAGE_METRICS_HOST", valueName: "ADDRESS", default: "127.0.0.1", defaultText: "`127.0.0.1`",
        summary: "Address of the operations listener (`/metrics`, `/healthz`, `/readyz`, no token, no limits): for Prometheus and the kubelet, not the internet."
    )
    static let metricsPort = Setting.integer(
        "metrics-port", variable: "USAGE_METRICS_PORT", default: nil, defaultText: "off", in: 0...65535,
        summary: "Port of the operations listener; without it `/metrics` is served only on the main port, behind the read side's token."
    )
    static let maxQueuedPings = Setting.integer(
        "max-queued-pings", variable: "USAGE_MAX_QUEUED_PINGS", default: 1024, defaultText: "`1024`", in: 1...10_000_000,
        summary: "Pings waiting for a commit at once; more get 429 `overloaded`."
    )
    static let requestTimeout = Setting.integer(
        "request-timeout", variable: "USAGE_REQUEST_TIMEOUT_SECONDS", valueName: "SECONDS", default: 10, defaultText: "`10`", in: 1...3600,
        summary: "Seconds a client has to send a whole request; slower clients are disconnected."
    )
    static let foldInterval = Setting.integer(
        "fold-interval-ms", variable: "USAGE_FOLD_INTERVAL_MS", valueName: "MS", default: 250, defaultText: "`250`", in: 1...3_600_000,
        summary: "Milliseconds between folds of the ping journal into the day rows and rollups (on PostgreSQL the collectors take turns)."
    )
    /// `serve`'s own settings, in the README's order.
    static let serveSettings: [any SettingDescription] = [
        host, port, adminTokenFile, adminToken, publicReports, minCount, retentionDays, rateLimit, rateBurst, trustProxy,
        maxConnections, maxConnectionsPerClient, maxQueuedPings, requestTimeout, metricsHost, metricsPort, foldInterval,
    ]
}
