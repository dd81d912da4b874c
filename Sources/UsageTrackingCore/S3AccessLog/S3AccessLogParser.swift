/// Reads Amazon S3 server access log records, one line at a time, and finds the original
/// distribution's pings in them.
///
/// A record is a ping when all of these hold, whatever its HTTP status (S3 answers the original
/// agents' GETs with 403 or 404, since no such object exists):
/// - the bucket is `kubeflow-on-aws-usage-tracking-<region>` (when the bucket field is `-`, the
///   Host header field names such a bucket's endpoint), and `<region>` is a region code;
/// - it is a GET of an object: the operation is `REST.GET.OBJECT`, or, when the operation is not
///   a `REST.` one (`-`, `WEBSITE.…`), the request-URI's method is `GET`;
/// - the key is `instance-<id>.log` (when the key field is `-`, the request-URI path's last
///   segment), or the request-URI's query has `x-instance-id=<id>`; when both name an ID they are
///   the same, and the ID is well-formed.
///
/// The ping's time is the record's time. Nothing else of the record is kept. The parser works on
/// bytes and remembers the regions and instance IDs it has validated, so a ping usually costs no
/// allocation at all.
public struct S3AccessLogParser: Sendable {
    /// Bucket owner … version ID: the fields every record has; AWS adds more at the end over time.
    public static let minimumFieldCount = 18

    private var regions = ShortByteStringCache<Region>(bits: 8)
    private var instanceIDs = ShortByteStringCache<InstanceID>(bits: 13)

    public init() {}

    /// Classifies one line, given without or with its `\n` or `\r\n`.
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>) -> S3AccessLogRecord {
        var end = line.count
        while end > 0 && (line[end &- 1] == UInt8(ascii: "\n") || line[end &- 1] == UInt8(ascii: "\r")) {
            end &-= 1
        }
        return parseRecord(UnsafeBufferPointer(rebasing: line[0..<end]))
    }

    /// Classifies one line of raw bytes.
    public mutating func parse(_ line: UnsafeRawBufferPointer) -> S3AccessLogRecord {
        line.withMemoryRebound(to: UInt8.self) { parse($0) }
    }

    /// Classifies one line of text.
    public mutating func parse(_ line: some StringProtocol) -> S3AccessLogRecord {
        Array(line.utf8).withUnsafeBufferPointer { parse($0) }
    }

    // MARK: Fields

    private mutating func parseRecord(_ bytes: UnsafeBufferPointer<UInt8>) -> S3AccessLogRecord {
        var scanner = S3AccessLogFieldScanner(bytes)
        let bucket: Range<Int>, time: Range<Int>, operation: Range<Int>, key: Range<Int>, requestURI: Range<Int>
        do throws(S3AccessLogFieldScanner.Malformed) {
            try scanner.skip(1)                        // 0 bucket owner
            bucket = try scanner.field()               // 1 bucket
            time = try scanner.field(bracketed: true)  // 2 time
            try scanner.skip(3)                        // 3 remote IP, 4 requester, 5 request ID
            operation = try scanner.field()            // 6 operation
            key = try scanner.field()                  // 7 key
            requestURI = try scanner.field()           // 8 request-URI
            try scanner.skip(9)                        // 9 status … 17 version ID
        } catch {
            return .malformed(error.reason)
        }
        guard let milliseconds = S3AccessLogTime.milliseconds(UnsafeBufferPointer(rebasing: bytes[time])) else {
            return .malformed(.invalidTime)
        }

        // The bucket, or without one the Host header, names the region.
        let region: Region
        if bytes.isDash(bucket) {
            // 18 host ID, 19 signature version, 20 cipher suite, 21 authentication type, 22 host header.
            guard (try? scanner.skip(4)) != nil, let host = try? scanner.field(), !bytes.isDash(host) else {
                return .skipped(.notAUsageBucket)
            }
            do throws(InvalidInput) {
                guard let hostRegion = try UsageBucket.region(fromHost: bytes.string(in: host)) else {
                    return .skipped(.notAUsageBucket)
                }
                region = hostRegion
            } catch {
                return .skipped(error.code == "invalid_region" ? .invalidRegion : .notAUsageBucket)
            }
        } else {
            guard bytes.bytes(in: bucket, startWith: Self.bucketPrefix) else { return .skipped(.notAUsageBucket) }
            let code = (bucket.lowerBound + Self.bucketPrefix.utf8CodeUnitCount)..<bucket.upperBound
            guard let bucketRegion = self.region(UnsafeBufferPointer(rebasing: bytes[code])) else {
                return .skipped(.invalidRegion)
            }
            region = bucketRegion
        }

        // A GET of an instance object.
        var method = 0..<0, target = 0..<0
        if !bytes.isDash(requestURI) {
            let space = bytes.firstIndex(of: UInt8(ascii: " "), in: requestURI)
            method = requestURI.lowerBound..<space
            if space < requestURI.upperBound {
                let targetStart = space + 1
                target = targetStart..<bytes.firstIndex(of: UInt8(ascii: " "), in: targetStart..<requestURI.upperBound)
            }
        }
        let isGet: Bool
        if bytes.bytes(in: operation, equal: "REST.GET.OBJECT") {
            isGet = true
        } else if bytes.bytes(in: operation, startWith: "REST.") {
            isGet = false
        } else {
            isGet = bytes.bytes(in: method, equal: "GET")
        }
        guard isGet else { return .skipped(.notAGetOfAnInstanceObject) }

        let queryStart = bytes.firstIndex(of: UInt8(ascii: "?"), in: target)
        var keyID: Range<Int>?
        if bytes.isDash(key) {
            let path = target.lowerBound..<queryStart
            keyID = Self.instanceIDText(inObjectKey: bytes.indexAfterLast(UInt8(ascii: "/"), in: path)..<path.upperBound, of: bytes)
        } else {
            keyID = Self.instanceIDText(inObjectKey: key, of: bytes)
        }
        let queryID = queryStart < target.upperBound
            ? Self.instanceIDParameter(inQuery: (queryStart + 1)..<target.upperBound, of: bytes)
            : nil
        guard let idText = keyID ?? queryID else { return .skipped(.notAGetOfAnInstanceObject) }
        if let keyID, let queryID, !bytes.bytes(in: keyID, equalBytesIn: queryID) {
            return .skipped(.instanceIDMismatch)
        }
        let instanceID = instanceIDs.value(for: UnsafeBufferPointer(rebasing: bytes[idText])) {
            try? InstanceID(validating: String(decoding: $0, as: UTF8.self))
        }
        guard let instanceID else { return .skipped(.invalidInstanceID) }
        return .ping(Ping(instanceID: instanceID, region: region, receivedAtMilliseconds: milliseconds))
    }

    // MARK: Keys and queries

    static let bucketPrefix: StaticString = "kubeflow-on-aws-usage-tracking-"

    /// The `<id>` of an object key `instance-<id>.log` (`<id>` not empty, not yet validated).
    private static func instanceIDText(inObjectKey key: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let prefix = "instance-" as StaticString, suffix = ".log" as StaticString
        guard key.count > prefix.utf8CodeUnitCount + suffix.utf8CodeUnitCount,
              bytes.bytes(in: key, startWith: prefix), bytes.bytes(in: key, endWith: suffix)
        else { return nil }
        return (key.lowerBound + prefix.utf8CodeUnitCount)..<(key.upperBound - suffix.utf8CodeUnitCount)
    }

    /// The value of the first `x-instance-id` parameter of a query string, possibly empty.
    private static func instanceIDParameter(inQuery query: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let name = "x-instance-id=" as StaticString
        var start = query.lowerBound
        while start < query.upperBound {
            let end = bytes.firstIndex(of: UInt8(ascii: "&"), in: start..<query.upperBound)
            if bytes.bytes(in: start..<end, startWith: name) {
                return (start + name.utf8CodeUnitCount)..<end
            }
            start = end + 1
        }
        return nil
    }

    // MARK: Regions

    /// A region code, validated once and then remembered.
    private mutating func region(_ code: UnsafeBufferPointer<UInt8>) -> Region? {
        regions.value(for: code) { try? Region(validating: String(decoding: $0, as: UTF8.self)) }
    }
}
