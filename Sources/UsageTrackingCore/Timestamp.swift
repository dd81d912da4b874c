/// RFC 3339 timestamps in UTC, with millisecond precision.
public enum Timestamp {
    /// `2026-11-29T05:30:37.123Z` for the given milliseconds since the epoch.
    public static func rfc3339(milliseconds: Int64) -> String {
        let day = UTCDay(containingMilliseconds: milliseconds)
        let millisecondOfDay = Int(milliseconds - day.startMilliseconds)
        let hours = millisecondOfDay / 3_600_000
        let minutes = millisecondOfDay / 60_000 % 60
        let seconds = millisecondOfDay / 1000 % 60
        let millis = millisecondOfDay % 1000
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(day.iso8601)T\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2)).\(pad(millis, 3))Z"
    }
}
