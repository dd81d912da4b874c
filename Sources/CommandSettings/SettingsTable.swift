/// What the README's configuration tables show of a setting, whatever its value type.
public protocol SettingDescription: Sendable {
    var flag: String? { get }
    var variable: String? { get }
    var valueName: String? { get }
    var defaultText: String { get }
    var summary: String { get }
}

/// The README's configuration tables, made from the settings' declarations (a test keeps the
/// README's copy equal to this).
public enum SettingsTable {
    /// `| flag | environment | default | |`, one row per setting, in the order given.
    public static func markdown(_ settings: [any SettingDescription]) -> String {
        var text = "| flag | environment | default | |\n| --- | --- | --- | --- |\n"
        // A `|` inside a cell would end it.
        func cell(_ text: String) -> String { text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
        for setting in settings {
            let flag = setting.flag.map { "`--\($0)\(setting.valueName.map { " \($0)" } ?? "")`" } ?? ""
            let variable = setting.variable.map { "`\($0)`" } ?? ""
            text += "| \(cell(flag)) | \(variable) | \(cell(setting.defaultText)) | \(cell(setting.summary)) |\n"
        }
        return text
    }
}
