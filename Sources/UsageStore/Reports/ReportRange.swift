import UsageTrackingCore

/// The days a report was asked for; a bound left out is the first or last day stored.
public struct ReportRange: Hashable, Sendable {
    public var from: UTCDay?
    public var to: UTCDay?

    /// The most days one report covers, once its bounds are filled in.
    public static let maximumDays = 3660

    public init(from: UTCDay? = nil, to: UTCDay? = nil) {
        self.from = from
        self.to = to
    }

    /// The days covered, in day numbers: a bound left out is the first or last day with activity
    /// in `scope`. `nil` when nothing is stored (and no bounds were given) or the range is empty;
    /// refused when it covers more than ``maximumDays`` days.
    public func days(in reader: any RollupReader, scope: String = RollupChanges.allScope) async throws -> ClosedRange<Int>? {
        if let from, let to { return try Self.bounded(from.daysSinceEpoch, to.daysSinceEpoch) }
        guard let stored = try await reader.activeDays(scope: scope) else { return nil }
        return try Self.bounded(from?.daysSinceEpoch ?? stored.lowerBound, to?.daysSinceEpoch ?? stored.upperBound)
    }

    /// `start...end`, `nil` when empty; refused when longer than ``maximumDays``.
    static func bounded(_ start: Int, _ end: Int) throws(InvalidInput) -> ClosedRange<Int>? {
        guard start <= end else { return nil }
        guard end - start < maximumDays else {
            throw InvalidInput(
                code: "range_too_large",
                detail: "A report covers at most \(maximumDays) days; \(UTCDay(daysSinceEpoch: start)) to \(UTCDay(daysSinceEpoch: end)) is \(end - start + 1). Give from and to closer together."
            )
        }
        return start...end
    }
}
