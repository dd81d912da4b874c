import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Guards the read side with a bearer token, compared in constant time.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The token's HMAC under a per-process random key; a presented token is checked with
    /// swift-crypto's constant-time `isValidAuthenticationCode`, whatever its length.
    let expected: (mac: Data, key: Data)?
    /// Whether requests without a token pass when no token is configured.
    let allowsAnonymous: Bool

    init(token: String?, allowsAnonymous: Bool) {
        self.expected = token.map { token in
            let key = SymmetricKey(size: .bits256)
            let mac = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: key)
            return (Data(mac), key.withUnsafeBytes { Data($0) })
        }
        self.allowsAnonymous = allowsAnonymous
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let expected else {
            guard allowsAnonymous else {
                throw APIError(.forbidden, code: "forbidden", detail: "This endpoint needs an admin token, and the collector has none configured.")
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
