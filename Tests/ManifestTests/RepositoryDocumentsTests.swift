import ArgumentParser
import CommandSettings
import Foundation
import Testing
import TestSupport
import UsageAgent
@testable import UsageCollectorCLI
import Yams

/// The README says what the code does: its settings tables are the ones the declarations make,
/// its endpoint table lists every route of the OpenAPI document, its command list every
/// subcommand, and nothing in the repository points outside it.
///
/// `UPDATE_README_TABLES=1` rewrites the settings tables from the declarations.
@Suite struct RepositoryDocumentsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let readme = root.appendingPathComponent("README.md").path

    static let tables: [(name: String, settings: [any SettingDescription])] = [
        ("usage-agent", AgentSettings.all),
        ("usage-collector", CollectorSettings.databaseSettings + CollectorSettings.serveSettings),
    ]

    /// The text between `<!-- settings: NAME … -->` and the next `<!-- /settings -->`.
    static func table(named name: String, in text: String) throws -> Range<String.Index> {
        let opening = try #require(text.range(of: "<!-- settings: \(name) "), "README has no settings table \(name)")
        let start = try #require(text.range(of: "-->\n", range: opening.upperBound..<text.endIndex)).upperBound
        let end = try #require(text.range(of: "<!-- /settings -->", range: start..<text.endIndex)).lowerBound
        return start..<end
    }

    @Test func theSettingsTablesAreTheOnesTheDeclarationsMake() throws {
        var text = try String(contentsOfFile: Self.readme, encoding: .utf8)
        for (name, settings) in Self.tables {
            let range = try Self.table(named: name, in: text)
            let expected = SettingsTable.markdown(settings)
            if ProcessInfo.processInfo.environment["UPDATE_README_TABLES"] == "1" {
                text.replaceSubrange(range, with: expected)
            } else {
                #expect(String(text[range]) == expected, "README's \(name) table differs from its declarations; UPDATE_README_TABLES=1 rewrites it")
            }
        }
        if ProcessInfo.processInfo.environment["UPDATE_README_TABLES"] == "1" {
            try text.write(toFile: Self.readme, atomically: true, encoding: .utf8)
        }
    }

    /// `/v1/instances/{id}` and `/v1/instances/<id>?x=` alike: placeholders and queries do not count.
    static func normalized(_ route: String) -> String {
        var path = String(route.split(separator: "?", maxSplits: 1).first ?? "")
        path = path.replacingOccurrences(of: #"\{[^}]*\}|<[^>]*>"#, with: "*", options: .regularExpression)
        return path
    }

    @Test func theEndpointTableListsEveryRouteOfTheOpenAPIDocument() throws {
        let text = try String(contentsOfFile: Self.readme, encoding: .utf8)
        let start = try #require(text.range(of: "| endpoint | |\n"))
        let table = text[start.upperBound...].prefix { _ in true }.components(separatedBy: "\n\n")[0]
        var listed = Set<String>()
        for row in table.split(separator: "\n") where row.hasPrefix("| `") {
            let cell = row.replacingOccurrences(of: "\\|", with: "¦").split(separator: "|")[0]
            for match in cell.matches(of: #/`(GET|POST|DELETE|PUT) ([^`]+)`/#) {
                listed.insert("\(match.1) \(Self.normalized(String(match.2)))")
            }
        }
        let document = try String(contentsOfFile: Self.root.appendingPathComponent("Sources/UsageCollector/Resources/openapi.yaml").path, encoding: .utf8)
        let paths = try #require((try Yams.load(yaml: document) as? [String: Any])?["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys where ["get", "post", "delete", "put"].contains(method) {
                documented.insert("\(method.uppercased()) \(Self.normalized(path))")
            }
        }
        #expect(documented.count >= 15)
        #expect(documented.subtracting(listed).sorted() == [], "routes of openapi.yaml the README's endpoint table does not list")
        #expect(listed.subtracting(documented).sorted() == [], "routes the README lists that openapi.yaml does not document")
    }

    @Test func theCommandListNamesEverySubcommand() throws {
        let text = try String(contentsOfFile: Self.readme, encoding: .utf8)
        let line = try #require(text.components(separatedBy: "\n\n").first { $0.hasPrefix("Commands: ") })
        for command in UsageCollectorCommand.configuration.subcommands {
            let name = command._commandName
            #expect(line.contains("`\(name)"), "README's command list lacks \(name)")
        }
    }

    @Test func nothingInTheRepositoryPointsOutsideIt() throws {
        let result = try ProcessRunner.run("/usr/bin/git", ["-C", Self.root.path, "grep", "-l", "-e", "\\.\\./shared", "--", "."])
        #expect(result.standardOutput.isEmpty, "files that refer to a folder beside the repository: \(result.standardOutput)")
    }
}
