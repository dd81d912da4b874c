import HTTPTypes
import Hummingbird
import UsageStore
import UsageTrackingCore

/// `GET /`: the dashboard, over `?from=&to=` (default: the 90 days ending on the last day stored).
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
        let query = try ReportQuery(request.uri.queryParameters, allowed: [])
        let all = try await store.dailyActivity(from: nil, to: nil, window: 1, region: nil)
        let to = query.to ?? all.last?.day
        let from = query.from ?? to.map { max($0.advanced(by: -89), all.first?.day ?? $0) }
        var page = DashboardPage(daily: [], weekly: [], monthly: [], churned: [], churnAfter: churnAfter, regions: RegionsReport(from: nil, to: nil, regions: []), retention: [], minimumCount: minimumCount)
        if let from, let to {
            page = DashboardPage(
                daily: try await store.dailyActivity(from: from, to: to, window: 1, region: nil),
                weekly: try await store.dailyActivity(from: from, to: to, window: 7, region: nil),
                monthly: try await store.dailyActivity(from: from, to: to, window: 28, region: nil),
                churned: try await store.churned(after: churnAfter, from: from, to: to, region: nil),
                churnAfter: churnAfter,
                regions: try await store.regions(from: from, to: to),
                retention: try await store.retention(from: from, to: to),
                daysSeen: try await store.daysSeen(from: from, to: to),
                minimumCount: minimumCount
            )
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
