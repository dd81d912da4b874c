import Foundation
import Hummingbird
import UsageStore
import UsageTrackingCore

/// The read side's reports: `GET /v1/reports/actives|new|churned|regions|retention|days-seen`, JSON by
/// default, CSV with `?format=csv` or `Accept: text/csv`.
struct ReportsController<Store: UsageStore> {
    let store: Store
    /// Small-count suppression, when set.
    let minimumCount: Int?

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("actives", use: actives)
        routes.get("new", use: new)
        routes.get("churned", use: churned)
        routes.get("regions", use: regions)
        routes.get("retention", use: retention)
        routes.get("days-seen", use: daysSeen)
        return routes
    }

    /// `?from=&to=&window=1|7|28&region=`.
    @Sendable func actives(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters, allowed: ["window", "region"])
        let report = ActivesReport(window: query.window, days: try await store.dailyActivity(from: query.from, to: query.to, window: query.window, region: query.region))
        return Self.respond(request, json: report.json(minimumCount: minimumCount), csv: report.csv(minimumCount: minimumCount))
    }

    /// `?from=&to=&region=`.
    @Sendable func new(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters, allowed: ["region"])
        let report = NewInstancesReport(days: try await store.newInstances(from: query.from, to: query.to, region: query.region))
        return Self.respond(request, json: report.json(minimumCount: minimumCount), csv: report.csv(minimumCount: minimumCount))
    }

    /// `?after=30&from=&to=&region=`.
    @Sendable func churned(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters, allowed: ["region", "after"])
        let report = ChurnReport(after: query.after, days: try await store.churned(after: query.after, from: query.from, to: query.to, region: query.region))
        return Self.respond(request, json: report.json(minimumCount: minimumCount), csv: report.csv(minimumCount: minimumCount))
    }

    /// `?from=&to=`.
    @Sendable func regions(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters, allowed: [])
        let report = try await store.regions(from: query.from, to: query.to)
        return Self.respond(request, json: report.json(minimumCount: minimumCount), csv: report.csv(minimumCount: minimumCount))
    }

    /// `?cohort=week&from=&to=`.
    @Sendable func retention(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters, allowed: ["cohort"])
        let report = RetentionReport(cohorts: try await store.retention(from: query.from, to: query.to))
        return Self.respond(request, json: report.json(minimumCount: minimumCount), csv: report.csv(minimumCount: minimumCount))
    }

    /// `?from=&to=`.
    @Sendable func daysSeen(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try ReportQuery(request.uri.queryParameters, allowed: [])
        let report = DaysSeenReport(days: try await store.daysSeen(from: query.from, to: query.to))
        return Self.respond(request, json: report.json(minimumCount: minimumCount), csv: report.csv(minimumCount: minimumCount))
    }

    static func respond(_ request: Request, json: @autoclosure () -> String, csv: @autoclosure () -> String) -> Response {
        if wantsCSV(request) {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: csv())))
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: json())))
    }

    /// CSV when asked with `?format=csv` or `Accept: text/csv`; JSON otherwise.
    static func wantsCSV(_ request: Request) -> Bool {
        if let format = request.uri.queryParameters.get("format") { return format == "csv" }
        return request.headers[.accept]?.contains("text/csv") ?? false
    }
}

/// The filters the reports accept, validated: `from` and `to` as `YYYY-MM-DD`, and per report
/// `window`, `region`, `after`, `cohort`. A parameter a report does not take is refused.
struct ReportQuery {
    var from: UTCDay?
    var to: UTCDay?
    var window = 1
    var region: Region?
    var after = 30

    static let common: Set<String> = ["from", "to", "format"]
    /// Days before Kubeflow existed or far in the future are refused, so no report runs away.
    static let plausible = (try! UTCDay(iso8601: "2015-01-01"))...(try! UTCDay(iso8601: "2099-12-31"))
    static let maximumDays = 3660

    init(_ parameters: Hummingbird.Parameters, allowed: Set<String>) throws {
        for (name, _) in parameters where !Self.common.contains(String(name)) && !allowed.contains(String(name)) {
            throw APIError(.badRequest, code: "unknown_parameter", detail: "This report does not take the parameter \(InvalidInput.quoted(name)).")
        }
        do {
            from = try parameters.get("from").map { text throws(InvalidInput) in try UTCDay(iso8601: text) }
            to = try parameters.get("to").map { text throws(InvalidInput) in try UTCDay(iso8601: text) }
            region = try parameters.get("region").map { text throws(InvalidInput) in try Region(validating: text) }
        } catch {
            throw APIError(error)
        }
        // Numbers only as written plainly: `07` or `+7` is refused, not read as 7.
        func plainNumber(_ text: some StringProtocol) -> Int? { Int(text).flatMap { String($0) == text ? $0 : nil } }
        if let text = parameters.get("window") {
            guard let window = plainNumber(text), ActivesReport.windows.contains(window) else {
                throw APIError(.badRequest, code: "invalid_window", detail: "window must be 1, 7 or 28 days.")
            }
            self.window = window
        }
        if let text = parameters.get("after") {
            guard let after = plainNumber(text), (1...3650).contains(after) else {
                throw APIError(.badRequest, code: "invalid_after", detail: "after must be a number of days from 1 to 3650.")
            }
            self.after = after
        }
        if let cohort = parameters.get("cohort"), cohort != "week" {
            throw APIError(.badRequest, code: "invalid_cohort", detail: "cohort must be week.")
        }
        for day in [from, to].compactMap({ $0 }) where !Self.plausible.contains(day) {
            throw APIError(.badRequest, code: "invalid_date", detail: "\(day) is outside the dates reports cover (2015-01-01 to 2099-12-31).")
        }
        if let from, let to, from > to {
            throw APIError(.badRequest, code: "invalid_range", detail: "from (\(from)) is after to (\(to)).")
        }
        if let from, let to, from.distance(to: to) >= Self.maximumDays {
            throw APIError(.badRequest, code: "range_too_large", detail: "A report covers at most \(Self.maximumDays) days.")
        }
        if let format = parameters.get("format"), format != "csv", format != "json" {
            throw APIError(.badRequest, code: "invalid_format", detail: "format must be json or csv.")
        }
    }
}
