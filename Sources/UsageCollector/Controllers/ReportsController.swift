import Foundation
import Hummingbird
import UsageStore
import UsageTrackingCore

/// The read side's reports: `GET /v1/reports/...`.
struct ReportsController<Store: UsageStore> {
    let store: Store
    /// Small-count suppression, when set.
    let minimumCount: Int?

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("actives", use: actives)
        return routes
    }

    /// `GET /v1/reports/actives?from=&to=&window=1|7|28&region=`.
    @Sendable func actives(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters)
        let days = try await store.dailyActivity(from: query.from, to: query.to, window: query.window, region: query.region)
        let report = ActivesReport(window: query.window, days: days)
        if Self.wantsCSV(request) {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.csv(minimumCount: minimumCount))))
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.json(minimumCount: minimumCount))))
    }

    /// CSV when asked with `?format=csv` or `Accept: text/csv`; JSON otherwise.
    static func wantsCSV(_ request: Request) -> Bool {
        if let format = request.uri.queryParameters.get("format") { return format == "csv" }
        return request.headers[.accept]?.contains("text/csv") ?? false
    }
}

/// The filters every report accepts, validated: `from` and `to` as `YYYY-MM-DD`, `window`, `region`.
struct ReportQuery {
    var from: UTCDay?
    var to: UTCDay?
    var window = 1
    var region: Region?

    init(_ parameters: Hummingbird.Parameters) throws {
        do {
            from = try parameters.get("from").map { text throws(ValidationError) in try UTCDay(iso8601: text) }
            to = try parameters.get("to").map { text throws(ValidationError) in try UTCDay(iso8601: text) }
            region = try parameters.get("region").map { text throws(ValidationError) in try Region(validating: text) }
        } catch {
            throw APIError(error)
        }
        if let text = parameters.get("window") {
            guard let window = Int(text), ActivesReport.windows.contains(window) else {
                throw APIError(.badRequest, code: "invalid_window", detail: "window must be 1, 7 or 28 days.")
            }
            self.window = window
        }
        if let from, let to, from > to {
            throw APIError(.badRequest, code: "invalid_range", detail: "from (\(from)) is after to (\(to)).")
        }
        if let format = parameters.get("format"), format != "csv", format != "json" {
            throw APIError(.badRequest, code: "invalid_format", detail: "format must be json or csv.")
        }
    }
}
