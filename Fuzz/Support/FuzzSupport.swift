// Shared by every libFuzzer target in Fuzz/Targets: built into each target's binary together
// with Sources/UsageTrackingCore by scripts/fuzz.sh.

/// Stops the run when an invariant does not hold: libFuzzer reports the trap as a crash and
/// saves the input that caused it.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("invariant broken: \(message())", file: file, line: line)
    }
}

/// The fuzzer's bytes as a buffer, and as text (invalid UTF-8 repaired the way `String(decoding:)` does).
struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>

    init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = UnsafeBufferPointer(start: data, count: size)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the bytes are valid UTF-8, so that `text` holds exactly these bytes.
    var isUTF8: Bool { Array(text.utf8) == Array(bytes) }
}

// MARK: Independent oracles, written from DESIGN.md rather than from the code under test

enum Oracle {
    static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// `^i-([0-9a-f]{8}|[0-9a-f]{17})$` over bytes.
    static func isInstanceID(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        guard array.count == 10 || array.count == 19 else { return false }
        return array[0] == UInt8(ascii: "i") && array[1] == UInt8(ascii: "-") && array.dropFirst(2).allSatisfy(isLowerHex)
    }

    static func isWord(_ part: Substring.UTF8View) -> Bool {
        !part.isEmpty && part.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    static func isNumber(_ part: Substring.UTF8View) -> Bool {
        !part.isEmpty && part.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The partitions' patterns: commercial `^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$`, China
    /// `^cn-[a-z]+-\d+$`, GovCloud `^us-gov-[a-z]+-\d+$`, European Sovereign Cloud
    /// `^eusc-[a-z]+-[a-z]+-\d+$`; the partition's name, or nil.
    static func partition(ofRegion code: String) -> String? {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false).map(\.utf8)
        let first = parts.first.map { String(Substring($0)) } ?? ""
        switch parts.count {
        case 3 where isWord(parts[1]) && isNumber(parts[2]):
            if first == "cn" { return "aws-cn" }
            return ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"].contains(first) ? "aws" : nil
        case 4 where first == "us" && String(Substring(parts[1])) == "gov" && isWord(parts[2]) && isNumber(parts[3]):
            return "aws-us-gov"
        case 4 where first == "eusc" && isWord(parts[1]) && isWord(parts[2]) && isNumber(parts[3]):
            return "aws-eusc"
        default:
            return nil
        }
    }
}
