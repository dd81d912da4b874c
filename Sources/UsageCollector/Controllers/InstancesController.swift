import Foundation
import Hummingbird
import UsageStore
import UsageTrackingCore

/// What is held about one instance, and its erasure: `GET` and `DELETE /v1/instances/<id>`.
struct InstancesController<Store: UsageStore> {
    let store: Store

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get(":id", use: show)
        routes.delete(":id", use: forget)
        return routes
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let instanceID = try Self.instanceID(context)
        guard let summary = try await store.instanceRecord(instanceID) else {
            throw APIError(.notFound, code: "not_found", detail: "Nothing is held about \(instanceID).")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(summary))))
    }

    @Sendable func forget(_ request: Request, context: AppRequestContext) async throws -> Response {
        let instanceID = try Self.instanceID(context)
        let removed = try await store.forget(instanceID)
        guard removed > 0 else {
            throw APIError(.notFound, code: "not_found", detail: "Nothing is held about \(instanceID).")
        }
        context.logger.notice("erased an instance on request", metadata: ["erase.rows": "\(removed)"])
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"forgotten":true,"rows":\#(removed)}"#))
        )
    }

    static func instanceID(_ context: AppRequestContext) throws -> InstanceID {
        do {
            return try InstanceID(validating: context.parameters.get("id") ?? "")
        } catch {
            throw APIError(error)
        }
    }
}
