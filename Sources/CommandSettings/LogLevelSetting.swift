import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension Setting where Value == Logger.Level {
    /// `--log-level`: JSON log lines on stderr at this level and above.
    public static func logLevel(variable: String) -> Setting<Logger.Level> {
        Setting(
            flag: "log-level", variable: variable, valueName: "LEVEL", default: .info, defaultText: "`info`",
            summary: "One JSON line per event on stderr, at this level and above: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")).",
            expectation: "one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
        )
    }
}
