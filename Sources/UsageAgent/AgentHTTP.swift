import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import UsageTrackingCore

/// An instant by which something must be done.
struct Deadline: Sendable {
    let end: NIODeadline

    init(end: NIODeadline) {
        self.end = end
    }

    /// The earlier of `seconds` from now and the end.
    func step(seconds: Int64) -> NIODeadline { min(.now() + .seconds(seconds), end) }

    var isExpired: Bool { NIODeadline.now() >= end }

    var remaining: TimeAmount { end - .now() }
}

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

    init(tls: TLSConfiguration? = nil, proxy: ProxySettings.Server? = nil, connectTimeout: TimeAmount = .seconds(1), readTimeout: TimeAmount = .seconds(2)) {
        self.connectTimeout = connectTimeout
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls ?? .makeClientConfiguration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: connectTimeout, read: readTimeout)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
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

/// The HTTP clients of one run: the metadata service's (never through a proxy).
struct AgentHTTP: Sendable {
    let metadata: EndpointClient
}

/// TLS that trusts the system's CAs plus the PEM bundle at `caFile`; verification stays on.
func clientTLS(extraCAFile caFile: String?) throws(ConfigurationError) -> TLSConfiguration {
    var tls = TLSConfiguration.makeClientConfiguration()
    if let caFile {
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw ConfigurationError("no certificate in \(caFile)") }
            tls.additionalTrustRoots = [.certificates(certificates)]
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("cannot read the CA bundle \(caFile): \(error)")
        }
    }
    return tls
}
