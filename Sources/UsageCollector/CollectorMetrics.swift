import Metrics

/// The collector's own metrics (requests by route and status come from the
/// `RequestMetricsMiddleware`): pings recorded and duplicate, rejections by reason.
public struct CollectorMetrics: Sendable {
    let recorded = Counter(label: "usage_pings_recorded_total")
    let duplicates = Counter(label: "usage_pings_duplicate_total")

    public init() {}

    func recorded(firstToday: Bool) {
        recorded.increment()
        if !firstToday { duplicates.increment() }
    }

    func rejected(reason: String) {
        Counter(label: "usage_pings_rejected_total", dimensions: [("reason", reason)]).increment()
    }
}
