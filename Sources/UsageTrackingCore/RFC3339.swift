/// RFC 3339 date-times, parsed without Foundation: `2026-11-29T05:30:37Z`,
/// `2026-11-29T07:30:37.250+02:00`, `2026-11-29 05:30:37z`.
public enum RFC3339 {
    /// Milliseconds since the epoch of a full RFC 3339 date-time with a zone offset.
    public static func milliseconds(_ text: some StringProtocol) throws(InvalidInput) -> Int64 {
        let bytes = Array(text.utf8)
        let error = InvalidInput(
            code: "invalid_time",
            detail: "\(InvalidInput.quoted(text)) is not an RFC 3339 time such as 2026-11-29T05:30:37Z."
        )
        guard bytes.count >= 20 else { throw error }
        let day: UTCDay
        do {
            day = try UTCDay(iso8601: String(decoding: bytes[0..<10], as: UTF8.self))
        } catch {
            throw error
        }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2), let second = digits(bytes, 17, 2),
              hour < 24, minute < 60, second < 61
        else { throw error }
        var index = 19
        var millisecond = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100
            let start = index
            while index < bytes.count, let digit = digits(bytes, index, 1) {
                millisecond += digit * scale
                scale /= 10
                index += 1
            }
            guard index > start else { throw error }
        }
        guard index < bytes.count else { throw error }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { throw error }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let hours = digits(bytes, index + 1, 2), let minutes = digits(bytes, index + 4, 2), hours < 24, minutes < 60
            else { throw error }
            offsetMinutes = (hours * 60 + minutes) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            throw error
        }
        let seconds = Int64(day.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millisecond)
    }

    static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
