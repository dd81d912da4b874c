import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TestSupport

/// The OpenAPI document at the repository root (`openapi.yaml`): a valid OpenAPI 3.1 document
/// (openapi-spec-validator, PyPI), and true of the real collector (schemathesis, PyPI, driving the
/// `usage-collector` binary over HTTP: no server error, no response outside the document).
@Suite struct OpenAPITests {
    /// The repository root: this file is `Tests/UsageCollectorTests/OpenAPITests.swift`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let document = repositoryRoot.appendingPathComponent("Sources/UsageCollector/Resources/openapi.yaml").path
    static let token = "openapi-test-admin-token-0123456"

    // MARK: The document

    @Test(.enabled(if: ExternalTools.shouldRun("openapi-spec-validator"), "openapi-spec-validator is not installed (pip install openapi-spec-validator)"))
    func theDocumentIsValidOpenAPI() async throws {
        let python = try #require(
            ExternalTools.python(withModule: "openapi_spec_validator"),
            "openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        )
        let result = try await ProcessRunner.runAsync(python, ["-m", "openapi_spec_validator", Self.document], timeout: 120)
        #expect(result.exitCode == 0, "openapi-spec-validator: \(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("OK"))
    }

    // MARK: The real collector against it

    @Test(.enabled(if: ExternalTools.shouldRun("schemathesis"), "schemathesis is not installed (pip install schemathesis)"))
    func theRealCollectorKeepsToTheDocument() async throws {
        let python = try #require(ExternalTools.python(withModule: "schemathesis.cli"), "schemathesis is not installed (pip install schemathesis)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let port = try ExternalTools.freePort()
        let server = try BackgroundProcess(
            ProcessRunner.product("usage-collector"),
            ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--database", directory.path("usage.sqlite"), "--rate-limit", "0"],
            environment: ["PATH": "/usr/bin:/bin", "USAGE_ADMIN_TOKEN": Self.token, "USAGE_LOG_LEVEL": "warning"]
        )
        defer { server.stop() }
        try await Self.waitUntilHealthy(port: port, server: server)

        // The collector serves the very document this test checks it against.
        let served = try await Self.get("http://127.0.0.1:\(port)/openapi.yaml")
        #expect(served.status == 200)
        #expect(served.contentType?.hasPrefix("application/yaml") == true)
        let file = try String(contentsOfFile: Self.document, encoding: .utf8)
        #expect(served.body == file)

        let configuration = directory.path("schemathesis.toml")
        try Self.schemathesisConfiguration.write(toFile: configuration, atomically: true, encoding: .utf8)
        // Run from the temporary folder: schemathesis keeps its state (.schemathesis, .hypothesis) in
        // the working directory. Bounded: 30 examples per operation, 10 s per request, and a hard stop.
        let arguments = [
            "-m", "schemathesis.cli", "--config-file", configuration, "run", Self.document,
            "--url", "http://127.0.0.1:\(port)",
            "--header", "Authorization: Bearer \(Self.token)",
            "--max-examples", "30",
            "--request-timeout", "10",
            "--generation-database", "none",
            "--no-color",
        ]
        let result = try await ProcessRunner.runAsync(
            "/bin/sh", ["-c", #"cd "$0" && exec "$@""#, directory.url.path, python] + arguments, timeout: 480
        )
        #expect(
            result.exitCode == 0,
            "schemathesis found server errors or responses outside openapi.yaml:\n\(result.standardOutput)\(result.standardError)\ncollector log:\n\(server.output)"
        )
        #expect(server.isRunning, "the collector died under schemathesis:\n\(server.output)")
    }

    /// Every check runs (`not_a_server_error`, status code, content type, headers and body against
    /// the schemas, negative data rejected, positive data accepted, auth not ignored, …) except:
    /// - `use_after_free`: `GET /instance-<id>.log` records a ping by design (the original
    ///   distribution's request), so a GET after a DELETE rightly brings the instance back;
    /// - `unsupported_method`: the router answers 404 to a method a path does not have, not 405.
    ///
    /// Two rules across parameters that a schema cannot state make schema-valid requests a 400:
    /// `from` after `to` on the reports, and an `x-instance-id` that differs from the ID in the path.
    /// A body over 1 KiB (413) or headers over the limit (431) are rightful rejections too.
    static let schemathesisConfiguration = #"""
        [checks]
        use_after_free.enabled = false
        unsupported_method.enabled = false
        negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431", "5xx"]

        [[operations]]
        include-path-regex = '^/(instance-\{instanceId\}\.log|v1/reports/.*)$'
        checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
        """#

    // MARK: Helpers

    struct Reply {
        let status: Int
        let contentType: String?
        let body: String
    }

    static func get(_ url: String) async throws -> Reply {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), contentType: response.headers["Content-Type"].first, body: String(buffer: body))
    }

    static func waitUntilHealthy(port: Int, server: BackgroundProcess) async throws {
        for _ in 0..<150 {
            if let reply = try? await get("http://127.0.0.1:\(port)/healthz"), reply.status == 200 { return }
            guard server.isRunning else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FakeServerError("usage-collector did not become healthy: \(server.output)")
    }
}
