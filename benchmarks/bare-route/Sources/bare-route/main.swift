import Hummingbird

// `bare-route PORT`: POST /v1/pings reads the body (at most 1 KiB, as the collector does) and
// answers the collector's 200 JSON; nothing is parsed, validated or stored.
let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
let router = Router()
router.post("v1/pings") { request, _ -> Response in
    _ = try await request.body.collect(upTo: 1024)
    return Response(
        status: .ok,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: #"{"recorded":true,"first_today":true}"#))
    )
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bare-route")
)
try await app.runService()
