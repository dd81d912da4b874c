/// Why an input was refused: a stable machine-readable code and a sentence for a person.
///
/// Controllers turn it into `{"error": code, "detail": detail}` with a 4xx status.
public struct InvalidInput: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable snake_case code, such as `invalid_instance_id`.
    public let code: String
    /// A human sentence that says what was wrong and what is accepted.
    public let detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}

extension InvalidInput {
    static func invalidInstanceID(_ raw: some StringProtocol) -> InvalidInput {
        InvalidInput(
            code: "invalid_instance_id",
            detail: "\(quoted(raw)) is not an EC2 instance ID: expected i- followed by 8 or 17 lowercase hex digits."
        )
    }

    static func invalidRegion(_ raw: some StringProtocol) -> InvalidInput {
        InvalidInput(
            code: "invalid_region",
            detail: "\(quoted(raw)) is not an AWS region code such as us-west-2."
        )
    }

    static func invalidZone(_ raw: some StringProtocol) -> InvalidInput {
        InvalidInput(
            code: "invalid_zone",
            detail: "\(quoted(raw)) is not an AWS availability, Local or Wavelength Zone name such as us-west-2a."
        )
    }

    /// Quotes at most 64 characters of an input for an error message, so a huge input stays out of logs.
    public static func quoted(_ raw: some StringProtocol) -> String {
        // Counted in scalars, not characters: one character can carry any number of combining marks.
        let scalars = raw.unicodeScalars
        let shown = scalars.prefix(64)
        var escaped = ""
        for scalar in shown {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"\(escaped)\(scalars.count > 64 ? "…" : "")\""
    }
}
