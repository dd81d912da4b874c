import Crypto
import Foundation
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
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            value.hasPrefix("Bearer ") ? value.dropFirst("Bearer ".count) : nil
        }
        guard let presented,
              HMAC<SHA256>.isValidAuthenticationCode(expected.mac, authenticating: Data(presented.utf8), using: SymmetricKey(data: expected.key))
        else {
            throw APIError(
                .unauthorized, code: "unauthorized", detail: "A valid admin token is required: Authorization: Bearer <token>.",
                headers: [.wwwAuthenticate: #"Bearer realm="usage-collector""#]
            )
        }
        return try await next(request, context)
    }
}
