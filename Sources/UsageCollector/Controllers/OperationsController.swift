import Hummingbird

/// `GET /metrics` (Prometheus text) and `GET /openapi.yaml` (the API's OpenAPI document).
struct OperationsController {
    let metricsText: (@Sendable () -> String)?

    /// `GET /metrics`: today's ping counts and per-route counts, so not for strangers
    /// (``buildRouter(configuration:store:committer:)`` puts it behind the read side's token).
    var metrics: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("metrics") { _, _ in
            guard let metricsText else {
                throw APIError(.notFound, code: "not_found", detail: "No metrics backend is configured.")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metricsText()))
            )
        }
        return routes
    }

    /// `GET /openapi.yaml`, public.
    var document: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml))
            )
        }
        return routes
    }
}
