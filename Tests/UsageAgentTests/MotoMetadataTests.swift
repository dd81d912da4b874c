import AsyncHTTPClient
import Foundation
import Testing
import TestSupport

/// The agent against moto_server (PyPI `moto`), a widely used EC2 metadata emulator.
@Suite struct MotoMetadataTests {
    @Test(.enabled(if: ExternalTools.shouldRun("moto_server"), "moto_server is not installed (pip install 'moto[server]')"))
    func motoCompletesTheTokenFlowAndItsInstanceIDIsRefused() async throws {
        let python = try #require(ExternalTools.python(withModule: "moto.server"), "moto is not installed (pip install 'moto[server]')")
        let port = try ExternalTools.freePort()
        let server = try BackgroundProcess(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", "\(port)"])
        defer { server.stop() }
        try await waitUntilAnswering(port: port, server: server)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await LiveCollector.run(databasePath: directory.path("usage.sqlite")) { collector in
            let result = try await AgentHarness.run(environment: AgentHarness.environment(imdsPort: port, collectorPort: collector.port))
            #expect(result.exitCode == 0)
            // The token flow completed: the PUT got its token, the GET was answered.
            #expect(server.output.contains(#""PUT /latest/api/token HTTP/1.1" 200"#))
            #expect(server.output.contains(#""GET /latest/meta-data/instance-id HTTP/1.1" 200"#))
            // moto's "i-fake" is not an instance ID: nothing is sent.
            let nothing = try #require(result.log("nothing to report; nothing sent"))
            #expect(nothing["reason"]?.contains("\"i-fake\"") == true)
            #expect(!result.messages.contains("sending"))
            #expect(try await collector.storedDays().isEmpty)
        }
    }

    func waitUntilAnswering(port: Int, server: BackgroundProcess) async throws {
        for _ in 0..<100 {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/latest/meta-data/placement/region")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok { return }
            guard server.isRunning else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FakeServerError("moto_server did not start: \(server.output)")
    }
}
