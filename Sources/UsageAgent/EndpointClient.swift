import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import UsageTrackingCore

/// A small answer: status, headers and a body of at most 64 KiB (or what the request allowed).
struct SmallResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String
}

/// One AsyncHTTPClient with short timeouts, no redirects and no retries of its own.
final class EndpointClient: Sendable {
    let client: HTTPClient
    /// The most a connection may take: an attempt that ran longer had its request on the wire.
    let connectTimeout: TimeAmount

    /// `verifyingHost`: the host name of the https:// URLs this client is for, whose certificate
    /// must name it (`CertificateNameCheck`); `nil` for plain http.
    init(
        tls: TLSConfiguration? = nil, proxy: ProxySettings.Server? = nil, connectTimeout: TimeAmount = .seconds(1), readTimeout: TimeAmount = .seconds(2),
        verifyingHost: String? = nil
    ) {
        self.connectTimeout = connectTimeout
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls ?? .makeClientConfiguration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: connectTimeout, read: readTimeout)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        if let verifyingHost { CertificateNameCheck.install(for: verifyingHost, in: &configuration) }
        if let proxy {
            let authorization = proxy.credentials.map { credentials -> HTTPClient.Authorization in
                let parts = credentials.split(separator: ":", maxSplits: 1)
                return .basic(username: String(parts[0]), password: parts.count > 1 ? String(parts[1]) : "")
            }
            configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(method: String, url: String, headers: [(String, String)] = [], body: String? = nil, deadline: NIODeadline, maximumBytes: Int = 64 * 1024) async throws -> SmallResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, deadline: deadline)
        let bytes = try await response.body.collect(upTo: maximumBytes)
        return SmallResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}
