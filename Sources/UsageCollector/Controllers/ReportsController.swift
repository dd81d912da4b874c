import Foundation
import Hummingbird
import UsageStore
import UsageTrackingCore

/// The read side's reports: `GET /v1/reports/<name>` for every report of ``ReportCatalog``, JSON
/// by default, CSV with `?format=csv` or `Accept: text/csv`. Each report parses its own
/// parameters (``Report/init(_:)``), as `stats` does.
struct ReportsController<Store: UsageStore> {
    let store: Store
    /// Small-count suppression, when set.
    let minimumCount: Int?

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        for report in ReportCatalog.all {
            add(report, to: routes)
        }
        return routes
    }

    func add<R: RenderableReport>(_ report: R.Type, to routes: RouteCollection<AppRequestContext>) {
        routes.get(RouterPath(R.name)) { request, _ in try await self.respond(R.self, to: request) }
    }

    func respond<R: RenderableReport>(_ report: R.Type, to request: Request) async throws -> Response {
        let wantsCSV = try Self.wantsCSV(request)
        let parameters = ReportParameters(request.uri.queryParameters.filter { $0.key != "format" }.map { (String($0.key), String($0.value)) })
        let result: R.Result
        do {
            result = try await store.report(R.self, parameters)
        } catch let error as InvalidInput {
            throw APIError(error)
        }
        if wantsCSV {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: result.csv(minimumCount: minimumCount))))
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: result.json(minimumCount: minimumCount))))
    }

    /// CSV when asked with `?format=csv` or `Accept: text/csv`; JSON otherwise.
    static func wantsCSV(_ request: Request) throws -> Bool {
        if let format = request.uri.queryParameters.get("format") {
            guard format == "csv" || format == "json" else {
                throw APIError(.badRequest, code: "invalid_format", detail: "format must be json or csv.")
            }
            return format == "csv"
        }
        return request.headers[.accept]?.contains("text/csv") ?? false
    }
}
