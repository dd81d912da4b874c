/// An EC2 instance ID: `i-` followed by exactly 8 or exactly 17 lowercase hex digits.
///
/// The only way to make one is through validation, so holding an `InstanceID` means holding a
/// well-formed ID.
public struct InstanceID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The ID as written, e.g. `i-0123456789abcdef0`.
    public let rawValue: String

    /// Validates `raw` against `^i-([0-9a-f]{8}|[0-9a-f]{17})$`; nothing is trimmed.
    public init(validating raw: some StringProtocol) throws(InvalidInput) {
        guard Self.isValid(raw.utf8) else { throw .invalidInstanceID(raw) }
        self.rawValue = String(raw)
    }

    /// Whether the bytes are a well-formed instance ID, without allocating.
    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        let count = bytes.count
        guard count == 10 || count == 19 else { return false }
        var index = bytes.startIndex
        guard bytes[index] == UInt8(ascii: "i") else { return false }
        bytes.formIndex(after: &index)
        guard bytes[index] == UInt8(ascii: "-") else { return false }
        bytes.formIndex(after: &index)
        while index != bytes.endIndex {
            let byte = bytes[index]
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let isLowerHex = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")
            guard isDigit || isLowerHex else { return false }
            bytes.formIndex(after: &index)
        }
        return true
    }

    public var description: String { rawValue }

    /// The ID as two integers that stand for it exactly (distinct IDs, distinct pairs): `low`, the
    /// value of its last 16 hex digits (all of them for an 8-digit ID); `high`, its digit count and,
    /// for a 17-digit ID, the value of the first. A key that hashes and compares without the string.
    public var packed: (high: UInt32, low: UInt64) {
        var text = rawValue
        return text.withUTF8 { bytes in
            var low: UInt64 = 0
            var high = UInt32(bytes.count - 2) << 4
            for (offset, byte) in bytes.dropFirst(2).enumerated() {
                let digit = UInt64(byte <= UInt8(ascii: "9") ? byte &- UInt8(ascii: "0") : byte &- UInt8(ascii: "a") &+ 10)
                if offset == 0 && bytes.count == 19 {
                    high |= UInt32(digit)
                } else {
                    low = low << 4 | digit
                }
            }
            return (high, low)
        }
    }

    public static func < (lhs: InstanceID, rhs: InstanceID) -> Bool { lhs.rawValue < rhs.rawValue }
}
