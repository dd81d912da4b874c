import HTTPTypes
import Hummingbird
import UsageStore
import UsageTrackingCore

/// `GET /`: the dashboard, over `?from=&to=` (default: the 90 days ending on the last day
/// stored), every panel read from one snapshot.
struct DashboardController<Store: UsageStore> {
    let store: Store
    let minimumCount: Int?
    let churnAfter = 30

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("/", use: page)
        return routes
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let parameters = ReportParameters(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        let (churnAfter, minimumCount) = (self.churnAfter, self.minimumCount)
        let page: DashboardPage
        do {
            try parameters.check(takes: [])
            let range = try parameters.range()
            page = try await store.readRollups { reader in
                try await DashboardPage.compute(range: range, from: reader, churnAfter: churnAfter, minimumCount: minimumCount)
            }
        } catch let error as InvalidInput {
            throw APIError(error)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                // No script, no framing, nothing loaded from elsewhere.
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                HTTPField.Name("X-Frame-Options")!: "DENY",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
                .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: page.html))
        )
    }
}
