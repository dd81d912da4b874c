import UsageTrackingCore

/// A report's parameters as given, by name, before parsing: a request's query string, or the
/// options of `stats`. Every report parses them the same way (``Report/init(_:)``), so the API,
/// `stats` and the dashboard accept and refuse the same input, with the same words.
public struct ReportParameters: Sendable {
    /// The parameters in the order given; a name given twice counts as its first value.
    public let pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// The first value of `name`, if given.
    public func value(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Days before Kubeflow existed or far in the future are refused, so no report runs away.
    public static let plausibleDays = (try! UTCDay(iso8601: "2015-01-01"))...(try! UTCDay(iso8601: "2099-12-31"))

    /// Refuses a parameter the report does not take (`from` and `to` every report takes).
    public func check(takes names: [String]) throws(InvalidInput) {
        for (name, _) in pairs where name != "from" && name != "to" && !names.contains(name) {
            throw InvalidInput(code: "unknown_parameter", detail: "This report does not take the parameter \(InvalidInput.quoted(name)).")
        }
    }

    /// `from` and `to` as `YYYY-MM-DD`, each within ``plausibleDays``, `from` not after `to`.
    public func range() throws(InvalidInput) -> ReportRange {
        let from = try value("from").map { text throws(InvalidInput) in try Self.day(text) }
        let to = try value("to").map { text throws(InvalidInput) in try Self.day(text) }
        if let from, let to, from > to {
            throw InvalidInput(code: "invalid_range", detail: "from (\(from)) is after to (\(to)).")
        }
        return ReportRange(from: from, to: to)
    }

    static func day(_ text: String) throws(InvalidInput) -> UTCDay {
        let day = try UTCDay(iso8601: text)
        guard plausibleDays.contains(day) else {
            throw InvalidInput(code: "invalid_date", detail: "\(day) is outside the dates reports cover (\(plausibleDays.lowerBound) to \(plausibleDays.upperBound)).")
        }
        return day
    }

    /// `region`, one of today's regions (``Region/catalog``): the reports count a code outside it
    /// under `other`, so there are no numbers of its own to give.
    public func region() throws(InvalidInput) -> Region? {
        guard let text = value("region") else { return nil }
        let region = try Region(validating: text)
        guard region.isCataloged else {
            throw InvalidInput(
                code: "invalid_region",
                detail: "\(InvalidInput.quoted(text)) is not one of the regions the reports name; pings naming it count under other in the regions report."
            )
        }
        return region
    }

    /// A whole number as written plainly: `07` or `+7` is refused, not read as 7.
    public func number(_ name: String, in allowed: some Collection<Int>, refusal: InvalidInput) throws(InvalidInput) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), String(number) == text, allowed.contains(number) else { throw refusal }
        return number
    }
}
