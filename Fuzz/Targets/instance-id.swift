// libFuzzer target: InstanceID(validating:) and InstanceID.isValid.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let expected = Oracle.isInstanceID(input.bytes)

    // The byte check agrees with the pattern, on bytes of any kind.
    require(InstanceID.isValid(input.bytes) == expected, "isValid disagrees with ^i-([0-9a-f]{8}|[0-9a-f]{17})$")

    // The initializer agrees with isValid on the same text, as a String and as a Substring.
    let text = input.text
    let parsed = try? InstanceID(validating: text)
    require((parsed != nil) == InstanceID.isValid(text.utf8), "init(validating:) disagrees with isValid")
    require((parsed != nil) == Oracle.isInstanceID(text.utf8), "init(validating:) disagrees with the pattern")
    // NUL never joins a grapheme cluster with its neighbours, so the slice holds exactly the text.
    let padded = "\u{0}" + text + "\u{0}"
    let substring = padded.dropFirst().dropLast()
    require(((try? InstanceID(validating: substring)) != nil) == (parsed != nil), "a Substring is judged differently")

    if let parsed {
        // Valid bytes are ASCII, so the text is the input itself.
        require(expected && input.isUTF8, "accepted something that is not the input's exact bytes")
        require(parsed.rawValue == text && parsed.description == text, "rawValue differs from the input")
        let again = try? InstanceID(validating: parsed.rawValue)
        require(again == parsed, "rawValue does not re-validate to an equal ID")
        require(!(parsed < parsed), "< is not irreflexive")
    } else {
        do {
            _ = try InstanceID(validating: text)
        } catch {
            require(error.code == "invalid_instance_id" && !error.detail.isEmpty, "unexpected error \(error)")
        }
    }
    return 0
}
