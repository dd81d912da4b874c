/// The time field of an S3 server access log, `06/Feb/2019:00:00:38 +0000`, read by arithmetic alone.
public enum S3AccessLogTime {
    /// Milliseconds since the epoch of `dd/Mon/yyyy:HH:mm:ss ±hhmm` (without the brackets);
    /// `nil` unless it is exactly that, with an English month abbreviation and a real date and time.
    public static func milliseconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        // dd/Mon/yyyy:HH:mm:ss ±hhmm
        // 0123456789012345678901234 5
        guard text.count == 26,
              text[2] == UInt8(ascii: "/"), text[6] == UInt8(ascii: "/"), text[11] == UInt8(ascii: ":"),
              text[14] == UInt8(ascii: ":"), text[17] == UInt8(ascii: ":"), text[20] == UInt8(ascii: " ")
        else { return nil }
        let sign: Int
        switch text[21] {
        case UInt8(ascii: "+"): sign = 1
        case UInt8(ascii: "-"): sign = -1
        default: return nil
        }
        var valid = true
        @inline(__always) func digits(_ start: Int, _ count: Int) -> Int {
            var value = 0
            for index in start..<(start + count) {
                let digit = text[index] &- UInt8(ascii: "0")
                valid = valid && digit < 10
                value = value &* 10 &+ Int(digit)
            }
            return value
        }
        let day = digits(0, 2), year = digits(7, 4)
        let hour = digits(12, 2), minute = digits(15, 2), second = digits(18, 2)
        let offsetHours = digits(22, 2), offsetMinutes = digits(24, 2)
        guard valid, let month = month(text[3], text[4], text[5]),
              day >= 1, day <= UTCDay.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60, offsetHours < 24, offsetMinutes < 60
        else { return nil }
        let days = UTCDay.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - sign * (offsetHours * 3600 + offsetMinutes * 60)
        return Int64(seconds) * 1000
    }

    /// Milliseconds since the epoch of a time field given as text, brackets excluded.
    public static func milliseconds(_ text: some StringProtocol) -> Int64? {
        Array(text.utf8).withUnsafeBufferPointer { milliseconds($0) }
    }

    /// 1–12 for `Jan` … `Dec` (exactly as S3 writes them), `nil` otherwise.
    @inline(__always)
    static func month(_ first: UInt8, _ second: UInt8, _ third: UInt8) -> Int? {
        switch UInt32(first) << 16 | UInt32(second) << 8 | UInt32(third) {
        case 0x4A_61_6E: 1   // Jan
        case 0x46_65_62: 2   // Feb
        case 0x4D_61_72: 3   // Mar
        case 0x41_70_72: 4   // Apr
        case 0x4D_61_79: 5   // May
        case 0x4A_75_6E: 6   // Jun
        case 0x4A_75_6C: 7   // Jul
        case 0x41_75_67: 8   // Aug
        case 0x53_65_70: 9   // Sep
        case 0x4F_63_74: 10  // Oct
        case 0x4E_6F_76: 11  // Nov
        case 0x44_65_63: 12  // Dec
        default: nil
        }
    }
}
