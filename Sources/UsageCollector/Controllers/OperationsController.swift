import Hummingbird

/// `GET /metrics` (Prometheus text) and `GET /openapi.yaml` (the API's OpenAPI document).
struct OperationsController {
    let metricsText: (@Sendable () -> String)?

    var endpoints: RouteCollection<AppRequestContext> {
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
        routes.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml))
            )
        }
        return routes
    }
}
