import HTTPTypes
import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The client's address: the peer's, or with `--trust-proxy` the last address the proxy appended
/// to `X-Forwarded-For`. Used for limits only; never stored or logged.
struct ClientAddress {
    static func of(_ request: Request, context: AppRequestContext, trustProxy: Bool) -> String {
        if trustProxy, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!] {
            let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
            if let last, !last.isEmpty { return key(last) }
        }
        return key(context.remoteAddress ?? "unknown")
    }

    /// What limits count as one client: an IPv4 address, or an IPv6 address's /64 (one
    /// subscriber's whole prefix: a client rotating through its own addresses is one client).
    static func key(_ address: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        // An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) is that IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }
}

/// Rate limits per client (``ClientAddress/key(_:)``): 429 with `Retry-After` when the bucket is empty.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter
    let trustProxy: Bool
    let metrics: CollectorMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let client = ClientAddress.of(request, context: context, trustProxy: trustProxy)
        if let wait = limiter.acquire(client, now: Double(CollectorConfiguration.systemClock()) / 1000) {
            metrics.rejected(reason: "rate_limited")
            throw APIError(
                .tooManyRequests, code: "rate_limited", detail: "Too many requests from this address; retry in \(wait) s.",
                headers: [.retryAfter: String(wait)]
            )
        }
        return try await next(request, context)
    }
}

/// Refuses requests whose header fields add up to more than `limit` bytes with 431.
struct HeaderLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var size = request.uri.description.utf8.count
        for field in request.headers {
            size += field.name.rawName.utf8.count + field.value.utf8.count + 4
            if size > limit {
                throw APIError(
                    HTTPResponse.Status(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                    code: "headers_too_large", detail: "The request's header fields exceed \(limit) bytes.",
                    headers: [.connection: "close"]
                )
            }
        }
        return try await next(request, context)
    }
}

import Foundation
