// libFuzzer target: Region(zone:), the region of an availability, Local or Wavelength Zone name.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let text = input.text

    let region: Region
    do {
        region = try Region(zone: text)
    } catch {
        require(error.code == "invalid_zone" && !error.detail.isEmpty, "unexpected error \(error)")
        return 0
    }
    // The zone's region is a region code that validates, in the partition its pattern names.
    let revalidated = try? Region(validating: region.code)
    require(revalidated == region, "the zone's region \(region.code) does not validate to an equal region")
    require(Oracle.partition(ofRegion: region.code) == region.partition.rawValue, "the zone's region has the wrong partition")
    // The zone is its region with an AZ letter glued on (us-west-2a), or with more segments
    // of lowercase letters and digits after it (us-west-2-lax-1a).
    require(text.hasPrefix(region.code), "the zone \(text) does not start with its region \(region.code)")
    let rest = Array(text.utf8.dropFirst(region.code.utf8.count))
    let isLetter = { (byte: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    if rest.count == 1 {
        require(isLetter(rest[0]), "an AZ suffix that is not a lowercase letter")
    } else {
        require(rest.first == UInt8(ascii: "-"), "a zone suffix that does not start with -")
        let segments = rest.dropFirst().split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        require(segments.allSatisfy { !$0.isEmpty && $0.allSatisfy { isLetter($0) || isDigit($0) } }, "a malformed Local or Wavelength Zone suffix")
    }
    // A zone name is never also a region code.
    require((try? Region(validating: text)) == nil, "\(text) is both a zone and a region")
    return 0
}
