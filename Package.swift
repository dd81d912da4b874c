// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kubeflow-aws-usage-tracking",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "usage-collector", targets: ["usage-collector"]),
        .executable(name: "usage-agent", targets: ["usage-agent"]),
        .library(name: "UsageTrackingCore", targets: ["UsageTrackingCore"]),
        .library(name: "UsageStore", targets: ["UsageStore"]),
        .library(name: "UsageStoreSQLite", targets: ["UsageStoreSQLite"]),
        .library(name: "UsageStorePostgres", targets: ["UsageStorePostgres"]),
        .library(name: "UsageCollector", targets: ["UsageCollector"]),
        .library(name: "UsageAgent", targets: ["UsageAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // MARK: Core: domain types and pure arithmetic, no I/O
        .target(name: "UsageTrackingCore"),
        // Every command's settings, each declared once: flag, environment variable, default, bounds.
        .target(
            name: "CommandSettings",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "JSONLogging",
            dependencies: ["UsageTrackingCore", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: Storage: the protocol and what every store shares; one module per database driver
        .target(
            name: "UsageStore",
            dependencies: [
                "UsageTrackingCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "UsageStoreSQLite",
            dependencies: [
                "UsageStore",
                "UsageTrackingCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The schema's migrations, as the SQL they run (append-only: never edit a shipped one).
            resources: [
                .embedInCode("Migrations/2026-11-29-001-instance-days.sql"),
                .embedInCode("Migrations/2026-11-29-002-settings.sql"),
                .embedInCode("Migrations/2026-11-29-003-report-rollups.sql"),
                .embedInCode("Migrations/2026-11-29-004-batched-rollups.sql"),
                .embedInCode("Migrations/2026-12-03-005-weeks-before-1970.sql"),
                .embedInCode("Migrations/2026-12-04-006-days-seen.sql"),
                .embedInCode("Migrations/2026-12-04-007-rollups-written-by-the-fold.sql"),
                .embedInCode("Migrations/2026-12-07-008-import-manifest.sql"),
            ]
        ),
        .target(
            name: "UsageStorePostgres",
            dependencies: [
                "UsageStore",
                "UsageTrackingCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The schema's migrations, as the SQL they run (append-only: never edit a shipped one).
            resources: [
                .embedInCode("Migrations/2026-11-30-001-instance-days.sql"),
                .embedInCode("Migrations/2026-11-30-002-settings.sql"),
                .embedInCode("Migrations/2026-11-30-003-report-rollups.sql"),
                .embedInCode("Migrations/2026-11-30-004-write-functions.sql"),
                .embedInCode("Migrations/2026-12-03-005-ping-journal.sql"),
                .embedInCode("Migrations/2026-12-04-006-days-seen.sql"),
                .embedInCode("Migrations/2026-12-04-007-rollups-written-by-the-fold.sql"),
                .embedInCode("Migrations/2026-12-07-008-import-manifest.sql"),
            ]
        ),

        // MARK: Imports (CSV, S3 access logs)
        .target(
            name: "UsageImport",
            dependencies: [
                "UsageTrackingCore",
                "UsageStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Collector
        .target(
            name: "UsageCollector",
            dependencies: [
                "UsageTrackingCore",
                "UsageStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("Resources/openapi.yaml")]
        ),
        // The collector's commands: options, environment fallbacks, store selection, as a library
        // so that tests resolve them; the executable only calls it.
        .target(
            name: "UsageCollectorCLI",
            dependencies: [
                "CommandSettings",
                "UsageCollector",
                "UsageImport",
                "UsageStore",
                "UsageStoreSQLite",
                "UsageStorePostgres",
                "UsageTrackingCore",
                "JSONLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "usage-collector", dependencies: ["UsageCollectorCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: Agent
        .target(
            name: "UsageAgent",
            dependencies: [
                "CommandSettings",
                "UsageTrackingCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The agent's command, as a library so that tests parse it; the executable only calls it.
        .target(
            name: "UsageAgentCLI",
            dependencies: [
                "CommandSettings",
                "UsageAgent",
                "UsageTrackingCore",
                "JSONLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(["-Osize"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "usage-agent",
            dependencies: ["UsageAgentCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: [.unsafeFlags(["-Osize"], .when(configuration: .release))],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux], configuration: .release))]
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: [
                "UsageCollector",
                "UsageStore",
                "UsageStoreSQLite",
                "UsageStorePostgres",
                "UsageTrackingCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "UsageTrackingCoreTests", dependencies: ["UsageTrackingCore"]),
        .testTarget(
            name: "UsageStoreTests",
            dependencies: [
                "UsageStore", "UsageStoreSQLite", "UsageStorePostgres", "UsageTrackingCore", "UsageImport", "TestSupport", "usage-collector",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "UsageCollectorTests",
            dependencies: [
                "UsageCollector",
                "UsageStore",
                "UsageStoreSQLite",
                "UsageStorePostgres",
                "UsageTrackingCore",
                "TestSupport",
                "usage-collector",
                "UsageCollectorCLI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"]  // read by path, like the tests' other inputs
        ),
        .testTarget(
            name: "UsageAgentTests",
            dependencies: [
                "UsageAgent",
                "UsageTrackingCore",
                "TestSupport",
                "usage-agent",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ImageTests",
            dependencies: [
                "TestSupport",
                "UsageTrackingCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "ManifestTests",
            dependencies: [
                "TestSupport",
                "usage-agent",
                "UsageAgentCLI",
                "usage-collector",
                "UsageCollectorCLI",
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Golden"]
        ),
    ]
)
