// libFuzzer target: Region(validating:).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let text = input.text
    let expected = Oracle.partition(ofRegion: text)

    let parsed: Region?
    do {
        parsed = try Region(validating: text)
    } catch {
        require(error.code == "invalid_region" && !error.detail.isEmpty, "unexpected error \(error)")
        parsed = nil
    }
    require((parsed != nil) == (expected != nil), "Region(validating:) disagrees with the partitions' patterns")

    // NUL never joins a grapheme cluster with its neighbours, so the slice holds exactly the text.
    let padded = "\u{0}" + text + "\u{0}"
    let substring = padded.dropFirst().dropLast()
    require(((try? Region(validating: substring)) != nil) == (parsed != nil), "a Substring is judged differently")

    if let parsed {
        require(parsed.code == text && parsed.description == text, "the code differs from the input")
        require(parsed.partition.rawValue == expected, "partition \(parsed.partition) where the pattern says \(expected ?? "none")")
        require((try? Region(validating: parsed.code)) == parsed, "the code does not re-validate to an equal region")
        // A region code is not a zone name.
        require((try? Region(zone: text)) == nil, "a region code is accepted as a zone")
        // The bucket host of the region names the region again.
        require((try? UsageBucket.region(fromHost: UsageBucket.host(for: parsed))) == parsed, "the bucket host does not name its region")
    }
    if Region.catalog.contains(text) {
        require(parsed?.isCataloged == true, "a cataloged region is refused or not cataloged")
    }
    return 0
}
