import Hummingbird
import UsageStore

/// Liveness and readiness probes.
struct HealthController<Store: UsageStore> {
    let store: Store

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("healthz") { _, _ in
            Self.json(#"{"status":"ok"}"#)
        }
        routes.get("readyz") { _, context in
            do {
                try await store.checkReadiness()
                return Self.json(#"{"status":"ready"}"#)
            } catch {
                context.logger.warning("store not ready", metadata: ["error": "\(error)"])
                throw APIError(.serviceUnavailable, code: "not_ready", detail: "The database cannot be reached or cannot write.")
            }
        }
        return routes
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
