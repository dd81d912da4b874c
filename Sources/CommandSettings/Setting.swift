import ArgumentParser

/// One setting of a command, declared once: its flag, its environment variable, its default and
/// the values it accepts. The option's help text (``help``), the value the command runs with
/// (``resolve(_:in:)``) and the README's configuration table (``SettingsTable``) all come from it.
///
/// A flag given on the command line wins over the variable; an empty variable counts as unset.
/// The variable's text is parsed once, by the value type's own parser (`ExpressibleByArgument`),
/// as argument-parser parses the flag.
public struct Setting<Value: Sendable>: SettingDescription, Sendable {
    /// The long flag, without its dashes; `nil` for a setting only the environment gives.
    public let flag: String?
    /// The environment variable; `nil` for a setting only the command line gives.
    public let variable: String?
    /// What `--help` and the README show after the flag (`N`, `URL`); `nil` for a switch.
    public let valueName: String?
    public let defaultValue: Value?
    /// The default as the help and the README show it (`8080`, `none`, `off`).
    public let defaultText: String
    /// What it does, as a sentence.
    public let summary: String
    /// The values accepted, for an error: "a whole number from 0 to 65535".
    public let expectation: String
    let parse: @Sendable (String) -> Value?
    let accepts: @Sendable (Value) -> Bool

    public init(
        flag: String?, variable: String?, valueName: String?, default defaultValue: Value?, defaultText: String? = nil,
        summary: String, expectation: String, parse: @escaping @Sendable (String) -> Value?, accepts: @escaping @Sendable (Value) -> Bool = { _ in true }
    ) {
        self.flag = flag
        self.variable = variable
        self.valueName = valueName
        self.defaultValue = defaultValue
        self.defaultText = defaultText ?? defaultValue.map { "\($0)" } ?? "none"
        self.summary = summary
        self.expectation = expectation
        self.parse = parse
        self.accepts = accepts
    }

    /// The option's name for argument-parser.
    public var name: NameSpecification { .customLong(flag ?? "") }

    /// The help line: the summary, the variable and the default (without the README's code marks).
    public var help: ArgumentHelp {
        let text = summary + (variable.map { " Env: \($0)." } ?? "") + " Default: \(defaultText)."
        return ArgumentHelp(String(text.filter { $0 != "`" }), valueName: valueName)
    }

    /// The flag's value when given, else the variable's, else the default (`nil` when there is
    /// none); refused when it is not one the setting accepts.
    public func resolve(_ flagValue: Value?, in environment: [String: String]) throws(SettingError) -> Value? {
        if let flagValue {
            guard accepts(flagValue) else { throw SettingError("--\(flag ?? "") must be \(expectation); got \(flagValue)") }
            return flagValue
        }
        if let variable, let text = environment[variable].map(Self.trimmed), !text.isEmpty {
            guard let value = parse(text), accepts(value) else { throw SettingError("\(variable) must be \(expectation); got \(SettingError.quoted(text))") }
            return value
        }
        return defaultValue
    }

    /// `text` without the spaces, tabs and newlines around it (a ConfigMap value's line end).
    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// ``resolve(_:in:)`` for a setting with a default.
    public func value(_ flagValue: Value?, in environment: [String: String]) throws(SettingError) -> Value {
        guard let value = try resolve(flagValue, in: environment) ?? defaultValue else {
            throw SettingError("\(flag.map { "--\($0)" } ?? variable ?? "a setting") has no value")
        }
        return value
    }
}

extension Setting where Value: ExpressibleByArgument {
    /// A setting whose variable is parsed as argument-parser parses its flag.
    public init(
        flag: String?, variable: String?, valueName: String?, default defaultValue: Value?, defaultText: String? = nil,
        summary: String, expectation: String, accepts: @escaping @Sendable (Value) -> Bool = { _ in true }
    ) {
        self.init(
            flag: flag, variable: variable, valueName: valueName, default: defaultValue, defaultText: defaultText,
            summary: summary, expectation: expectation, parse: { Value(argument: $0) }, accepts: accepts
        )
    }
}

extension Setting where Value == Int {
    /// A whole number within `range`.
    public static func integer(
        _ flag: String?, variable: String?, valueName: String = "N", default defaultValue: Int?, defaultText: String? = nil,
        in range: ClosedRange<Int>, summary: String
    ) -> Setting<Int> {
        Setting(
            flag: flag, variable: variable, valueName: valueName, default: defaultValue, defaultText: defaultText, summary: summary,
            expectation: "a whole number from \(range.lowerBound) to \(range.upperBound)", parse: { Int($0) }, accepts: { range.contains($0) }
        )
    }
}

extension Setting where Value == Bool {
    /// A switch, off unless the flag is given or the variable is `true` (or `1`).
    public static func `switch`(_ flag: String, variable: String?, summary: String) -> Setting<Bool> {
        Setting(
            flag: flag, variable: variable, valueName: nil, default: false, defaultText: "off", summary: summary,
            expectation: "true or false", parse: { ["true": true, "1": true, "false": false, "0": false][$0.lowercased()] }
        )
    }

    /// A switch's value: on when the flag was given, else as the variable says.
    public func value(flagGiven: Bool, in environment: [String: String]) throws(SettingError) -> Bool {
        try value(flagGiven ? true : nil, in: environment)
    }
}

extension Setting where Value == String {
    /// Text, any non-empty value.
    public static func text(_ flag: String?, variable: String?, valueName: String, default defaultValue: String?, defaultText: String? = nil, summary: String) -> Setting<String> {
        Setting(flag: flag, variable: variable, valueName: valueName, default: defaultValue, defaultText: defaultText, summary: summary, expectation: "some text", parse: { $0 })
    }
}

/// A setting the command refuses: exit 64 with this sentence.
public struct SettingError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Quotes at most 64 characters of a value, so a huge one stays out of the message.
    static func quoted(_ text: String) -> String {
        "\"\(text.prefix(64))\(text.count > 64 ? "…" : "")\""
    }
}
