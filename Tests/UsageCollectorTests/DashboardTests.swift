import Foundation
import Testing
import TestSupport

/// The dashboard as a person sees it: rendered by headless Chromium from a live collector.
@Suite struct DashboardTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = repositoryRoot.appendingPathComponent("Tests/UsageCollectorTests/Fixtures/known-pings.csv").path

    /// Runs headless Chromium on `url` with its own profile; returns its result.
    static func chromium(_ arguments: [String], url: String) async throws -> ProcessResult {
        let chromium = try #require(ExternalTools.path("chromium") ?? ExternalTools.path("chromium-browser"), "chromium is not installed (apt-get install chromium)")
        let profile = try TemporaryDirectory()
        defer { profile.remove() }
        return try await ProcessRunner.runAsync(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
             "--user-data-dir=\(profile.url.path)"] + arguments + [url],
            environment: ["PATH": "/usr/bin:/bin", "HOME": profile.url.path], timeout: 120
        )
    }

    func withCollector(configure: @escaping (inout UsageCollector.CollectorConfiguration) -> Void = { _ in }, _ body: (LiveCollector) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("usage.sqlite")
        let imported = try await ProcessRunner.runAsync(ProcessRunner.product("usage-collector"), ["import-csv", Self.fixture, "--database", database])
        try #require(imported.exitCode == 0)
        try await LiveCollector.run(databasePath: database, configure: configure, body)
    }

    @Test(.enabled(if: ExternalTools.shouldRun("chromium"), "chromium is not installed (apt-get install chromium)"))
    func aBrowserShowsTheChartsTilesAndRetention() async throws {
        try await withCollector { collector in
            let url = "http://127.0.0.1:\(collector.port)/"
            let dom = try await Self.chromium(["--dump-dom"], url: url)
            #expect(dom.exitCode == 0)
            let html = dom.standardOutput
            // Three charts, each an SVG with its title and description.
            for (id, title) in [("actives", "Active instances per day"), ("new-churned", "New and churned instances per day"), ("regions", "Active instances by region, last 28 days"),
                                ("days-seen", "Instances active in the last 28 days, by how many of those days they were seen")] {
                #expect(html.contains(#"<svg id="\#(id)" class="chart""#), "chart \(id)")
                #expect(html.contains(#"<title id="\#(id)-title">\#(title)</title>"#), "title of \(id)")
                #expect(html.contains(#"id="\#(id)-desc""#), "description of \(id)")
            }
            #expect(html.components(separatedBy: "<polyline").count - 1 >= 4, "daily, 7-day, 28-day and new lines")
            // The headline tiles (the last day is 2026-11-16: A and E are active).
            for (tile, value) in [("active-1d", "2"), ("active-7d", "3"), ("active-28d", "5"), ("regular-28d", "0"), ("new-28d", "5"), ("churned-28d", "0")] {
                #expect(html.contains(#"data-tile="\#(tile)"><span class="value">\#(value)</span>"#), "tile \(tile) shows \(value)")
            }
            // Instances by days seen on 11-16: D and E on 1 day, A, B and C on 2-7; none regular.
            #expect(html.contains(#"<th scope="col">21–28 days</th><th scope="col">active (28 days)</th><th scope="col">regular</th>"#))
            #expect(html.contains(#"<tr><th scope="row">2026-11-16</th><td>2</td><td>3</td><td>0</td><td>0</td><td>5</td><td>0</td></tr>"#))
            // The regions bar chart and the retention table.
            #expect(html.contains("<title>us-west-2: 2</title>"))
            #expect(html.contains(#"<th scope="row">2026-11-02</th><td>3</td>"#))
            #expect(html.contains(">67%</td>"))
            #expect(html.contains(">33%</td>"))

            let artifacts = Self.repositoryRoot.appendingPathComponent(".build/test-artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            let screenshot = artifacts.appendingPathComponent("dashboard.png")
            try? FileManager.default.removeItem(at: screenshot)
            let shot = try await Self.chromium(["--window-size=1280,2400", "--screenshot=\(screenshot.path)"], url: url)
            #expect(shot.exitCode == 0)
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
            #expect(png.count > 20_000, "a rendered page, not a blank one")
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 1280)
            // A phone-sized window renders the same page.
            let phone = try await Self.chromium(["--window-size=390,844", "--dump-dom"], url: url)
            #expect(phone.standardOutput.contains(#"<svg id="actives""#))
        }
    }

    @Test func thePageIsGuardedAndHardened() async throws {
        try await withCollector(configure: { $0.adminToken = "dashboard-token-of-enough-length"; $0.minimumCount = 3 }) { collector in
            let anonymous = try await collector.get("/")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["WWW-Authenticate"].contains { $0.hasPrefix("Basic") }, "a browser can prompt for the token")
            let basic = "Basic " + Data("maintainer:dashboard-token-of-enough-length".utf8).base64EncodedString()
            let page = try await collector.get("/", headers: [("Authorization", basic)])
            #expect(page.status == 200)
            #expect(page.headers["Content-Type"].first?.hasPrefix("text/html") == true)
            let policy = try #require(page.headers["Content-Security-Policy"].first)
            #expect(policy.contains("default-src 'none'"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("script-src"))
            #expect(page.headers["X-Frame-Options"].first == "DENY")
            #expect(!page.body.contains("<script"))
            // Small counts are hidden on the page too.
            #expect(page.body.contains(#"data-tile="active-1d"><span class="value">&lt;3</span>"#))
            #expect(page.body.contains(#"data-tile="active-28d"><span class="value">5</span>"#))
            let wrong = try await collector.get("/", headers: [("Authorization", "Basic " + Data("x:nope".utf8).base64EncodedString())])
            #expect(wrong.status == 401)
        }
    }
}

import UsageCollector
