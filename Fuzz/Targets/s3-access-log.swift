// libFuzzer target: S3AccessLogParser.parse and S3AccessLogLineSplitter.

/// One parser kept across inputs, so its caches of regions and instance IDs fill up and are
/// checked against a parser that starts empty.
nonisolated(unsafe) var warmParser = S3AccessLogParser()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    checkSplitter(input.bytes, maximumLineLength: 1 << 20)
    checkSplitter(input.bytes, maximumLineLength: 48)

    var splitter = S3AccessLogLineSplitter()
    splitter.consume(input.bytes) { checkLine($0) }
    splitter.finish { checkLine($0) }
    // The whole input as one line, newlines and all.
    checkLine(input.bytes)
    return 0
}

/// The parser's answer does not depend on its caches or on the line's ending, and a ping is
/// made of well-formed parts found in the line.
func checkLine(_ line: UnsafeBufferPointer<UInt8>) {
    var fresh = S3AccessLogParser()
    let record = fresh.parse(line)
    require(warmParser.parse(line) == record, "a parser with warm caches answers differently")
    for ending in ["\n", "\r\n"] {
        var withEnding = Array(line)
        withEnding.append(contentsOf: ending.utf8)
        var other = S3AccessLogParser()
        require(withEnding.withUnsafeBufferPointer { other.parse($0) } == record, "a line ending changes the record")
    }
    guard case let .ping(ping) = record else { return }
    require((try? InstanceID(validating: ping.instanceID.rawValue)) == ping.instanceID, "a ping's instance ID does not validate")
    if let region = ping.region {
        require((try? Region(validating: region.code)) == region, "a ping's region does not validate")
        require(contains(line, region.code), "a ping's region is not in the line")
    } else {
        require(false, "a ping from an access log without a region")
    }
    require(contains(line, ping.instanceID.rawValue), "a ping's instance ID is not in the line")
}

func contains(_ line: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard !needle.isEmpty, line.count >= needle.count else { return needle.isEmpty }
    for start in 0...(line.count - needle.count) where line[start] == needle[0] {
        if line[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}

/// The splitter cuts at every `\n` whatever the chunking, keeps empty lines, hands out an
/// unterminated last line at the end, and cuts a long line to its maximum length.
func checkSplitter(_ bytes: UnsafeBufferPointer<UInt8>, maximumLineLength: Int) {
    var expected = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0.prefix(maximumLineLength)) }
    if expected.last?.isEmpty == true, bytes.last == UInt8(ascii: "\n") || bytes.isEmpty {
        expected.removeLast()
    }
    // Chunk sizes taken from the input itself, 1 to 16 bytes, so the fuzzer explores the cuts.
    var splitter = S3AccessLogLineSplitter(maximumLineLength: maximumLineLength)
    var lines: [[UInt8]] = []
    var start = 0, index = 0
    while start < bytes.count {
        let length = min(bytes.count - start, Int(bytes[index % bytes.count] & 0x0F) + 1)
        splitter.consume(UnsafeBufferPointer(rebasing: bytes[start..<(start + length)])) { lines.append(Array($0)) }
        start += length
        index += 1
    }
    splitter.finish { lines.append(Array($0)) }
    require(lines == expected, "chunked splitting gave \(lines.count) lines, expected \(expected.count)")
    require(splitter.lineNumber == lines.count, "lineNumber \(splitter.lineNumber) after \(lines.count) lines")
}
