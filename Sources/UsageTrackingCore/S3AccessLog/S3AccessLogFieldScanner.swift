/// Walks the space-separated fields of one S3 server access log record, left to right, without copying.
///
/// A field is the bytes up to the next space; a field that starts with `"` runs to a closing `"`
/// that is followed by a space or the end of the line (a backslash escapes the next byte, so `\"`
/// never closes it); the time field runs from `[` to a `]` followed by a space or the end.
/// Quotes and brackets are not part of the field's range. Fields after the ones read are never
/// looked at, so records with any number of trailing fields are fine.
struct S3AccessLogFieldScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Where the next field starts; past `bytes.count` once the last field has been read.
    private(set) var position = 0

    /// Why the fields could not be read.
    struct Malformed: Error {
        let reason: S3AccessLogRecord.MalformedReason
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The range of the next field; `bracketed` for the `[…]` time field.
    @inline(__always)
    mutating func field(bracketed: Bool = false) throws(Malformed) -> Range<Int> {
        let count = bytes.count
        let start = position
        guard start <= count else { throw Malformed(reason: .tooFewFields) }
        if start < count {
            let first = bytes[start]
            if first == UInt8(ascii: "\"") {
                return try closedField(from: start, closer: UInt8(ascii: "\""), escapes: true)
            }
            if bracketed && first == UInt8(ascii: "[") {
                return try closedField(from: start, closer: UInt8(ascii: "]"), escapes: false)
            }
        }
        let index = bytes.firstIndex(of: UInt8(ascii: " "), in: start..<count)
        position = index &+ 1
        return start..<index
    }

    /// Steps over `count` fields.
    @inline(__always)
    mutating func skip(_ count: Int) throws(Malformed) {
        for _ in 0..<count {
            _ = try field()
        }
    }

    @inline(__always)
    private mutating func closedField(from opener: Int, closer: UInt8, escapes: Bool) throws(Malformed) -> Range<Int> {
        let count = bytes.count
        let escape = escapes ? UInt8(ascii: "\\") : closer
        var index = opener &+ 1
        while true {
            index = bytes.firstIndex(of: closer, or: escape, in: index..<count)
            guard index < count else { throw Malformed(reason: .unterminatedField) }
            if bytes[index] != closer {
                index = Swift.min(index &+ 2, count)  // a backslash and the byte it escapes
                continue
            }
            let next = index &+ 1
            if next == count || bytes[next] == UInt8(ascii: " ") {
                position = next &+ 1
                return (opener &+ 1)..<index
            }
            index = next
        }
    }
}

// MARK: Byte comparisons

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes in `range` are exactly `text`.
    @inline(__always)
    func bytes(in range: Range<Int>, equal text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && bytes(at: range.lowerBound, startWith: text, before: range.upperBound)
    }

    /// Whether the bytes in `range` begin with `text`.
    @inline(__always)
    func bytes(in range: Range<Int>, startWith text: StaticString) -> Bool {
        bytes(at: range.lowerBound, startWith: text, before: range.upperBound)
    }

    /// Whether the bytes in `range` end with `text`.
    @inline(__always)
    func bytes(in range: Range<Int>, endWith text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        return range.count >= length && bytes(at: range.upperBound &- length, startWith: text, before: range.upperBound)
    }

    /// Whether the bytes in `range` are the single byte `-`, the log's "no value".
    @inline(__always)
    func isDash(_ range: Range<Int>) -> Bool {
        range.count == 1 && self[range.lowerBound] == UInt8(ascii: "-")
    }

    @inline(__always)
    private func bytes(at start: Int, startWith text: StaticString, before end: Int) -> Bool {
        let length = text.utf8CodeUnitCount
        guard end &- start >= length else { return false }
        let expected = text.utf8Start
        for offset in 0..<length where self[start &+ offset] != expected[offset] {
            return false
        }
        return true
    }

    /// The first index of `byte` in `range`, or `range.upperBound`; eight bytes at a time.
    @inline(__always)
    func firstIndex(of byte: UInt8, in range: Range<Int>) -> Int {
        firstIndex(of: byte, or: byte, in: range)
    }

    /// The first index of either byte in `range`, or `range.upperBound`.
    ///
    /// Reads eight bytes at a time and finds a matching byte with the "has a zero byte" bit trick
    /// (`(w - 0x01…01) & ~w & 0x80…80`, whose lowest set bit is at the first zero byte).
    @inline(__always)
    func firstIndex(of byte: UInt8, or other: UInt8, in range: Range<Int>) -> Int {
        var index = range.lowerBound
        let end = range.upperBound
        if let base = baseAddress, end &- index >= 8 {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let first = UInt64(byte) &* ones, second = UInt64(other) &* ones
            while index &+ 8 <= end {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let a = word ^ first, b = word ^ second
                let found = ((a &- ones) & ~a | (b &- ones) & ~b) & highs
                if found != 0 {
                    return index &+ (found.trailingZeroBitCount &>> 3)
                }
                index &+= 8
            }
        }
        while index < end && self[index] != byte && self[index] != other {
            index &+= 1
        }
        return index
    }

    /// The index after the last `byte` in `range`, or `range.lowerBound` when there is none.
    @inline(__always)
    func indexAfterLast(_ byte: UInt8, in range: Range<Int>) -> Int {
        var index = range.upperBound
        while index > range.lowerBound && self[index &- 1] != byte {
            index &-= 1
        }
        return index
    }

    /// Whether the bytes in two ranges are the same.
    @inline(__always)
    func bytes(in first: Range<Int>, equalBytesIn second: Range<Int>) -> Bool {
        guard first.count == second.count else { return false }
        for offset in 0..<first.count where self[first.lowerBound &+ offset] != self[second.lowerBound &+ offset] {
            return false
        }
        return true
    }

    /// The bytes in `range` as a String.
    func string(in range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }
}
