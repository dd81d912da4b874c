/// A strict reader of the ping body: one JSON object (RFC 8259), read once, byte by byte, that
/// must hold `instance_id` and `region` as strings and nothing else. It refuses what a lenient
/// JSON reader lets through and another reader could take differently: a key given twice, a
/// trailing comma, comments, a byte-order mark, invalid UTF-8, control characters in strings,
/// anything after the object.
///
/// Every other key is refused (`unknown_field`), whatever its value, once the whole body is
/// known to be well-formed JSON; a missing key is `missing_field`; anything else `invalid_json`.
struct PingBody {
    /// The instance ID and region texts, not yet validated.
    static func fields(of bytes: some Collection<UInt8>) throws(InvalidInput) -> (instanceID: String, region: String) {
        var reader = Reader(bytes: Array(bytes))
        var found: [String: Value] = [:]
        var order: [String] = []
        reader.skipSpace()
        guard reader.take(UInt8(ascii: "{")) else { throw malformed }
        reader.skipSpace()
        if !reader.take(UInt8(ascii: "}")) {
            while true {
                reader.skipSpace()
                let key = try reader.string()
                reader.skipSpace()
                guard reader.take(UInt8(ascii: ":")) else { throw malformed }
                reader.skipSpace()
                let value = try reader.value(depth: 0)
                if found[key] != nil {
                    throw InvalidInput(code: "invalid_json", detail: "The field \(InvalidInput.quoted(key)) appears more than once.")
                }
                found[key] = value
                order.append(key)
                reader.skipSpace()
                if reader.take(UInt8(ascii: ",")) { continue }
                guard reader.take(UInt8(ascii: "}")) else { throw malformed }
                break
            }
        }
        reader.skipSpace()
        guard reader.atEnd else { throw malformed }
        for key in order where key != "instance_id" && key != "region" {
            throw InvalidInput(code: "unknown_field", detail: "The field \(InvalidInput.quoted(key)) is not accepted: a ping carries only instance_id and region.")
        }
        return (try text(found["instance_id"], "instance_id"), try text(found["region"], "region"))
    }

    static func text(_ value: Value?, _ key: String) throws(InvalidInput) -> String {
        switch value {
        case nil: throw InvalidInput(code: "missing_field", detail: "The field \"\(key)\" is required.")
        case .string(let text)?: return text
        case .null?: throw InvalidInput(code: "invalid_json", detail: "\"\(key)\" must not be null.")
        case .other?: throw InvalidInput(code: "invalid_json", detail: "Wrong type at \"\(key)\": instance_id and region are strings.")
        }
    }

    static let malformed = InvalidInput(code: "invalid_json", detail: "The body is not a JSON object of the form {\"instance_id\":\"i-…\",\"region\":\"us-west-2\"}.")

    enum Value {
        case string(String)
        case null
        case other
    }

    /// The deepest nesting of arrays and objects a value of an unknown field may have.
    static let maximumDepth = 16

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(InvalidInput) -> Value {
            guard index < bytes.count else { throw PingBody.malformed }
            switch bytes[index] {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "t"): try literal("true"); return .other
            case UInt8(ascii: "f"): try literal("false"); return .other
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < PingBody.maximumDepth else { throw PingBody.malformed }
                try container(depth: depth)
                return .other
            default:
                try number()
                return .other
            }
        }

        mutating func literal(_ word: StaticString) throws(InvalidInput) {
            let text = Array(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
            guard bytes.count - index >= text.count, Array(bytes[index..<(index + text.count)]) == text else { throw PingBody.malformed }
            index += text.count
        }

        /// An object or an array, checked and skipped (a key given twice in a nested object is
        /// refused too).
        mutating func container(depth: Int) throws(InvalidInput) {
            let isObject = bytes[index] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipSpace()
            if take(close) { return }
            var keys = Set<String>()
            while true {
                skipSpace()
                if isObject {
                    guard keys.insert(try string()).inserted else { throw PingBody.malformed }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { throw PingBody.malformed }
                    skipSpace()
                }
                _ = try value(depth: depth + 1)
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(close) else { throw PingBody.malformed }
                return
            }
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() throws(InvalidInput) {
            func digits() -> Int {
                let start = index
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
                return index - start
            }
            _ = take(UInt8(ascii: "-"))
            if take(UInt8(ascii: "0")) {
                // no leading zeros
            } else if digits() == 0 {
                throw PingBody.malformed
            }
            if take(UInt8(ascii: ".")), digits() == 0 { throw PingBody.malformed }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                if digits() == 0 { throw PingBody.malformed }
            }
        }

        /// A JSON string: escapes decoded, UTF-8 checked, no raw control characters.
        mutating func string() throws(InvalidInput) -> String {
            guard take(UInt8(ascii: "\"")) else { throw PingBody.malformed }
            var scalars = String.UnicodeScalarView()
            while true {
                guard index < bytes.count else { throw PingBody.malformed }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    index += 1
                    scalars.append(try escape())
                case 0x00..<0x20:
                    throw PingBody.malformed
                case 0x00..<0x80:
                    scalars.append(Unicode.Scalar(byte))
                    index += 1
                default:
                    scalars.append(try multibyte())
                }
            }
        }

        mutating func escape() throws(InvalidInput) -> Unicode.Scalar {
            guard index < bytes.count else { throw PingBody.malformed }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let unit = try hex4()
                if (0xD800..<0xDC00).contains(unit) {
                    guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")) else { throw PingBody.malformed }
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low),
                          let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) else { throw PingBody.malformed }
                    return scalar
                }
                guard let scalar = Unicode.Scalar(unit) else { throw PingBody.malformed }
                return scalar
            default:
                throw PingBody.malformed
            }
        }

        mutating func hex4() throws(InvalidInput) -> UInt32 {
            guard bytes.count - index >= 4 else { throw PingBody.malformed }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                index += 1
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw PingBody.malformed
                }
                value = value << 4 | digit
            }
            return value
        }

        /// One UTF-8 sequence of two to four bytes, shortest form only, no surrogates.
        mutating func multibyte() throws(InvalidInput) -> Unicode.Scalar {
            let first = bytes[index]
            let (count, minimum, initial): (Int, UInt32, UInt32) = switch first {
            case 0xC2...0xDF: (2, 0x80, UInt32(first & 0x1F))
            case 0xE0...0xEF: (3, 0x800, UInt32(first & 0x0F))
            case 0xF0...0xF4: (4, 0x10000, UInt32(first & 0x07))
            default: throw PingBody.malformed
            }
            guard bytes.count - index >= count else { throw PingBody.malformed }
            var value = initial
            for offset in 1..<count {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { throw PingBody.malformed }
                value = value << 6 | UInt32(next & 0x3F)
            }
            guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw PingBody.malformed }
            index += count
            return scalar
        }
    }
}
