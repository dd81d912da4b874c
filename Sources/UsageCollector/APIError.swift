import Foundation
import Hummingbird
import UsageTrackingCore

/// An error answered as `{"error": code, "detail": sentence}` with a 4xx or 5xx status.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let detail: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    /// A refused input: 400, or 413 for a body over the limit.
    public init(_ error: InvalidInput) {
        self.init(error.code == "body_too_large" ? .contentTooLarge : .badRequest, code: error.code, detail: error.detail)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let json = try JSONEncoder().encode(ErrorBody(error: code, detail: detail))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    static let bodyTooLarge = APIError(
        .contentTooLarge, code: "body_too_large", detail: "A ping body may have at most \(PingPayload.maximumBodySize) bytes."
    )
}

/// The JSON body of every error response.
struct ErrorBody: Codable {
    let error: String
    let detail: String
}

/// Gives every error the JSON error body: unmatched routes, unexpected failures (whose text is
/// logged, never sent) and Hummingbird's own errors.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPResponseError {
            switch error.status {
            case .notFound:
                throw APIError(.notFound, code: "not_found", detail: "There is nothing at \(request.uri.path).")
            case .methodNotAllowed:
                throw APIError(.methodNotAllowed, code: "method_not_allowed", detail: "\(request.method) is not allowed on \(request.uri.path).")
            case .contentTooLarge:
                throw APIError.bodyTooLarge
            default:
                throw APIError(error.status, code: "http_\(error.status.code)", detail: error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, code: "internal_error", detail: "The collector could not complete the request; try again later.")
        }
    }
}
