import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Guards the read side with a bearer token, compared in constant time.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Who may come without a token when no token is configured.
    enum Anonymous: Sendable {
        /// Nobody: the endpoint needs a token.
        case refused
        /// Requests addressed to this machine (a loopback `Host`) and not forwarded by a proxy:
        /// a page on another site that a browser resolves to 127.0.0.1 (DNS rebinding) or a
        /// proxy's client from afar is not this machine's user.
        case loopbackOnly
        /// Anyone (`--public-reports`).
        case anyone
    }

    /// The token's HMAC under a per-process random key; a presented token is checked with
    /// swift-crypto's constant-time `isValidAuthenticationCode`, whatever its length.
    let expected: (mac: Data, key: Data)?
    let anonymous: Anonymous

    init(token: String?, anonymous: Anonymous) {
        self.expected = token.map { token in
            let key = SymmetricKey(size: .bits256)
            let mac = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: key)
            return (Data(mac), key.withUnsafeBytes { Data($0) })
        }
        self.anonymous = anonymous
    }

    /// `127.x.x.x`, `localhost` or `[::1]`, with or without a port.
    static func isLoopback(host authority: String) -> Bool {
        var host = Substring(authority.lowercased())
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            host = host[host.index(after: host.startIndex)..<close]
            return host == "::1"
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        if host == "localhost" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let expected else {
            switch anonymous {
            case .refused:
                throw APIError(.forbidden, code: "forbidden", detail: "This endpoint needs an admin token, and the collector has none configured.")
            case .loopbackOnly:
                let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!] != nil || request.headers[HTTPField.Name("Forwarded")!] != nil
                guard let host = request.head.authority, Self.isLoopback(host: host), !forwarded else {
                    throw APIError(
                        .forbidden, code: "forbidden",
                        detail: "Without an admin token the read side answers only requests addressed to this machine (Host 127.0.0.1, localhost or [::1]) that no proxy forwarded; set --admin-token-file to serve it otherwise."
                    )
                }
            case .anyone:
                break
            }
            return try await next(request, context)
        }
        // Bearer for API clients; Basic (any user name, the token as password) so that a browser
        // can open the dashboard through its own login prompt.
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            if value.hasPrefix("Bearer ") { return value.dropFirst("Bearer ".count) }
            if value.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(value.dropFirst("Basic ".count))),
               let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") {
                return text[text.index(after: colon)...]
            }
            return nil
        }
        guard let presented,
              HMAC<SHA256>.isValidAuthenticationCode(expected.mac, authenticating: Data(presented.utf8), using: SymmetricKey(data: expected.key))
        else {
            throw APIError(
                .unauthorized, code: "unauthorized", detail: "A valid admin token is required: Authorization: Bearer <token>.",
                headers: HTTPFields([
                    HTTPField(name: .wwwAuthenticate, value: #"Bearer realm="usage-collector""#),
                    HTTPField(name: .wwwAuthenticate, value: #"Basic realm="usage-collector", charset="UTF-8""#),
                ])
            )
        }
        return try await next(request, context)
    }
}
