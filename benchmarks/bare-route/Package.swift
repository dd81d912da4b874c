// swift-tools-version:6.0
// The ingest benchmark's baseline: a Hummingbird route that reads a ping body and answers the same
// 200 JSON as the collector, storing nothing. Built on its own (benchmarks/ingest.sh):
//   swift build -c release --package-path benchmarks/bare-route --scratch-path .build-bare
import PackageDescription

let package = Package(
    name: "bare-route",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "bare-route",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
