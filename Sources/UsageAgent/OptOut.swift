/// The opt-out switches, checked before anything else and before any network call.
public enum OptOut {
    /// Why tracking is off, or `nil` when it is on.
    ///
    /// `DO_NOT_TRACK` set to anything but empty, `0` or `false` turns it off (the
    /// consoledonottrack.com convention), and so does `USAGE_TRACKING_ENABLED=false` (or `0`, `no`, `off`).
    public static func reason(environment: [String: String]) -> String? {
        if let value = environment["DO_NOT_TRACK"]?.trimmingWhitespace.lowercased(), !["", "0", "false"].contains(value) {
            return "DO_NOT_TRACK is set"
        }
        if let value = environment["USAGE_TRACKING_ENABLED"]?.trimmingWhitespace.lowercased(), ["false", "0", "no", "off"].contains(value) {
            return "USAGE_TRACKING_ENABLED=\(value)"
        }
        return nil
    }
}
