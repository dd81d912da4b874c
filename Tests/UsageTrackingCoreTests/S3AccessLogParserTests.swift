import Testing
import UsageTrackingCore

/// Hand-written Amazon S3 server access log records, in the documented field order: bucket owner,
/// bucket, [time], remote IP, requester, request ID, operation, key, "request-URI", status, error
/// code, bytes sent, object size, total time, turn-around time, "referer", "user agent", version ID,
/// then (newer records) host ID, signature version, cipher suite, authentication type, host header,
/// TLS version, access point ARN, ACL required, source region, and whatever AWS adds next.
enum S3AccessLogFixtures {
    static let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    static let hostID = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234="

    /// 27 fields: a 403 for an anonymous GET, exactly what the original agent causes.
    static let ping27 = #"\#(owner) kubeflow-on-aws-usage-tracking-us-west-2 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT instance-i-0123456789abcdef0.log "GET /instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef0 HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "python-requests/2.31.0" - \#(hostID) - ECDHE-RSA-AES128-GCM-SHA256 - kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com TLSv1.2 - - us-west-2"#

    /// Builds a line from fields, for the cases where one field is the point.
    static func line(
        bucket: String = "kubeflow-on-aws-usage-tracking-us-west-2",
        time: String = "[06/Feb/2019:00:00:38 +0000]",
        operation: String = "REST.GET.OBJECT",
        key: String = "instance-i-0123456789abcdef0.log",
        requestURI: String = #""GET /instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef0 HTTP/1.1""#,
        status: String = "403",
        userAgent: String = #""python-requests/2.31.0""#,
        host: String = "kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com"
    ) -> String {
        [
            owner, bucket, time, "192.0.2.3", "-", "3E57427F3EXAMPLE", operation, key, requestURI, status,
            status == "200" ? "-" : "AccessDenied", "243", "-", "7", "-", #""-""#, userAgent, "-", hostID, "-",
            "ECDHE-RSA-AES128-GCM-SHA256", "-", host, "TLSv1.2", "-", "-",
        ].joined(separator: " ")
    }

    // MARK: Examples

    struct PingExample: Sendable, CustomTestStringConvertible {
        let name: String
        let line: String
        let instanceID: String
        let region: String
        let milliseconds: Int64
        var testDescription: String { name }
    }

    struct SkipExample: Sendable, CustomTestStringConvertible {
        let name: String
        let line: String
        let reason: S3AccessLogRecord.SkipReason
        var testDescription: String { name }
    }

    struct MalformedExample: Sendable, CustomTestStringConvertible {
        let name: String
        let line: String
        let reason: S3AccessLogRecord.MalformedReason
        var testDescription: String { name }
    }

    static let pings: [PingExample] = [
        PingExample(
            name: "27 fields, 403 AccessDenied",
            line: ping27,
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "24 fields (up to the TLS version), 404 NoSuchKey, 8-digit ID",
            line: #"\#(owner) kubeflow-on-aws-usage-tracking-eu-west-1 [14/Mar/2021:23:59:59 +0000] 203.0.113.77 - 7B4A0FABBEXAMPLE REST.GET.OBJECT instance-i-0a1b2c3d.log "GET /instance-i-0a1b2c3d.log?x-instance-id=i-0a1b2c3d HTTP/1.1" 404 NoSuchKey 300 - 12 - "-" "curl/7.58.0" - \#(hostID) - TLS_AES_128_GCM_SHA256 - kubeflow-on-aws-usage-tracking-eu-west-1.s3.eu-west-1.amazonaws.com TLSv1.3"#,
            instanceID: "i-0a1b2c3d", region: "eu-west-1", milliseconds: 1_615_766_399_000
        ),
        PingExample(
            name: "26 fields (access point ARN, ACL required), 200 on a leap day",
            line: #"\#(owner) kubeflow-on-aws-usage-tracking-ap-southeast-2 [29/Feb/2024:12:00:00 +0000] 198.51.100.20 arn:aws:iam::123456789012:user/maintainer A1B2C3D4E5EXAMPLE REST.GET.OBJECT instance-i-0fedcba9876543210.log "GET /instance-i-0fedcba9876543210.log?x-instance-id=i-0fedcba9876543210 HTTP/1.1" 200 - 0 0 15 14 "-" "aws-cli/2.15.0 Python/3.11.6 Linux/5.10.205-195.807.amzn2.x86_64 exe/x86_64.amzn.2" - \#(hostID) SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader kubeflow-on-aws-usage-tracking-ap-southeast-2.s3.ap-southeast-2.amazonaws.com TLSv1.2 - -"#,
            instanceID: "i-0fedcba9876543210", region: "ap-southeast-2", milliseconds: 1_709_208_000_000
        ),
        PingExample(
            name: "18 fields: a record from before the host ID was logged",
            line: #"\#(owner) kubeflow-on-aws-usage-tracking-us-east-1 [01/Jan/2019:00:00:00 +0000] 192.0.2.10 - 0123456789ABCDEF REST.GET.OBJECT instance-i-00000000000000001.log "GET /instance-i-00000000000000001.log?x-instance-id=i-00000000000000001 HTTP/1.1" 403 AccessDenied 243 - 5 - "-" "python-requests/2.18.4" -"#,
            instanceID: "i-00000000000000001", region: "us-east-1", milliseconds: 1_546_300_800_000
        ),
        PingExample(
            name: "28 fields: an unknown field AWS added at the end, and a +0530 offset",
            line: #"\#(owner) kubeflow-on-aws-usage-tracking-us-west-2 [06/Feb/2019:05:30:38 +0530] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT instance-i-0123456789abcdef0.log "GET /instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef0 HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "python-requests/2.31.0" - \#(hostID) - ECDHE-RSA-AES128-GCM-SHA256 - kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com TLSv1.2 - - us-west-2 "a future field" 42"#,
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "IPv6 remote address and a -0700 offset",
            line: #"\#(owner) kubeflow-on-aws-usage-tracking-us-west-2 [05/Feb/2019:17:00:38 -0700] 2001:db8:85a3::8a2e:370:7334 - 3E57427F3EXAMPLE REST.GET.OBJECT instance-i-0123456789abcdef0.log "GET /instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef0 HTTP/1.1" 403 AccessDenied 243 - 7 - "-" "curl/8.5.0" - \#(hostID) - TLS_AES_128_GCM_SHA256 - kubeflow-on-aws-usage-tracking-us-west-2.s3.dualstack.us-west-2.amazonaws.com TLSv1.3 - - us-west-2"#,
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "China region bucket and .amazonaws.com.cn host",
            line: #"\#(owner) kubeflow-on-aws-usage-tracking-cn-north-1 [10/Oct/2022:08:15:00 +0000] 54.222.1.2 - 9C8B7A6F5EXAMPLE REST.GET.OBJECT instance-i-0abcdef0123456789.log "GET /instance-i-0abcdef0123456789.log?x-instance-id=i-0abcdef0123456789 HTTP/1.1" 403 AccessDenied 243 - 9 - "-" "python-requests/2.31.0" - \#(hostID) - ECDHE-RSA-AES128-GCM-SHA256 - kubeflow-on-aws-usage-tracking-cn-north-1.s3.cn-north-1.amazonaws.com.cn TLSv1.2 - - cn-north-1"#,
            instanceID: "i-0abcdef0123456789", region: "cn-north-1", milliseconds: 1_665_389_700_000
        ),
        PingExample(
            name: "no bucket: region from the China host header, after a user agent with spaces and escaped quotes",
            line: #"\#(owner) - [04/Jul/2023:19:45:12 +0000] 52.80.3.4 - 1F2E3D4C5EXAMPLE REST.GET.OBJECT instance-i-0abcdef0123456789.log "GET /instance-i-0abcdef0123456789.log?x-instance-id=i-0abcdef0123456789 HTTP/1.1" 404 NoSuchKey 300 - 11 - "-" "curl/7.61.1 (x86_64; \"kubeflow\" usage \"agent\") extra" - \#(hostID) - ECDHE-RSA-AES128-GCM-SHA256 - kubeflow-on-aws-usage-tracking-cn-northwest-1.s3.cn-northwest-1.amazonaws.com.cn TLSv1.2 - -"#,
            instanceID: "i-0abcdef0123456789", region: "cn-northwest-1", milliseconds: 1_688_499_912_000
        ),
        PingExample(
            name: "no bucket: region from the cn-north-1 host header",
            line: line(bucket: "-", host: "kubeflow-on-aws-usage-tracking-cn-north-1.s3.cn-north-1.amazonaws.com.cn"),
            instanceID: "i-0123456789abcdef0", region: "cn-north-1", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "a quoted referer with spaces and a browser user agent",
            line: line(userAgent: #""Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36""#)
                .replacingFirst(#""-""#, with: #""https://example.com/kubeflow install guide?step=\"3\"""#),
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "dash in every field that can have one: no operation, no key, GET in the request-URI",
            line: #"- kubeflow-on-aws-usage-tracking-us-east-2 [30/Nov/2020:06:07:08 +0000] - - - - - "GET /instance-i-0123456789abcdef0.log HTTP/1.1" - - - - - - - - - - - - - - - - - - -"#,
            instanceID: "i-0123456789abcdef0", region: "us-east-2", milliseconds: 1_606_716_428_000
        ),
        PingExample(
            name: "the key alone, without x-instance-id",
            line: line(requestURI: #""GET /instance-i-0123456789abcdef0.log HTTP/1.1""#),
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "x-instance-id alone, among other parameters, on a website GET",
            line: line(
                operation: "WEBSITE.GET.OBJECT", key: "index.html",
                requestURI: #""GET /index.html?v=2&x-instance-id=i-0123456789abcdef0&z HTTP/1.1""#, status: "200"
            ),
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
        PingExample(
            name: "GovCloud",
            line: line(
                bucket: "kubeflow-on-aws-usage-tracking-us-gov-west-1", time: "[31/Dec/2018:23:59:59 +0000]",
                host: "kubeflow-on-aws-usage-tracking-us-gov-west-1.s3.us-gov-west-1.amazonaws.com"
            ),
            instanceID: "i-0123456789abcdef0", region: "us-gov-west-1", milliseconds: 1_546_300_799_000
        ),
        PingExample(
            name: "CRLF line ending",
            line: ping27 + "\r\n",
            instanceID: "i-0123456789abcdef0", region: "us-west-2", milliseconds: 1_549_411_238_000
        ),
    ]

    static let skips: [SkipExample] = [
        SkipExample(
            name: "REST.PUT.OBJECT of an instance key",
            line: line(operation: "REST.PUT.OBJECT", requestURI: #""PUT /instance-i-0123456789abcdef0.log HTTP/1.1""#, status: "200"),
            reason: .notAGetOfAnInstanceObject
        ),
        SkipExample(
            name: "REST.GET.BUCKET listing",
            line: line(operation: "REST.GET.BUCKET", key: "-", requestURI: #""GET /?list-type=2&prefix=instance-&encoding-type=url HTTP/1.1""#, status: "200"),
            reason: .notAGetOfAnInstanceObject
        ),
        SkipExample(
            name: "REST.HEAD.OBJECT of an instance key",
            line: line(operation: "REST.HEAD.OBJECT", requestURI: #""HEAD /instance-i-0123456789abcdef0.log HTTP/1.1""#, status: "404"),
            reason: .notAGetOfAnInstanceObject
        ),
        SkipExample(
            name: "REST.GET.ACL: a GET, but of the ACL",
            line: line(operation: "REST.GET.ACL", requestURI: #""GET /instance-i-0123456789abcdef0.log?acl HTTP/1.1""#, status: "404"),
            reason: .notAGetOfAnInstanceObject
        ),
        SkipExample(
            name: "a GET of another key",
            line: line(key: "favicon.ico", requestURI: #""GET /favicon.ico HTTP/1.1""#, status: "404"),
            reason: .notAGetOfAnInstanceObject
        ),
        SkipExample(
            name: "a GET of instance-.log, an empty ID",
            line: line(key: "instance-.log", requestURI: #""GET /instance-.log HTTP/1.1""#),
            reason: .notAGetOfAnInstanceObject
        ),
        SkipExample(
            name: "another bucket",
            line: line(bucket: "amzn-s3-demo-bucket1", host: "amzn-s3-demo-bucket1.s3.us-west-2.amazonaws.com"),
            reason: .notAUsageBucket
        ),
        SkipExample(
            name: "no bucket and no host header",
            line: line(bucket: "-", host: "-"),
            reason: .notAUsageBucket
        ),
        SkipExample(
            name: "no bucket and another bucket's host header",
            line: line(bucket: "-", host: "amzn-s3-demo-bucket1.s3.us-west-2.amazonaws.com"),
            reason: .notAUsageBucket
        ),
        SkipExample(
            name: "no bucket and only 18 fields",
            line: #"\#(owner) - [01/Jan/2019:00:00:00 +0000] 192.0.2.10 - 0123456789ABCDEF REST.GET.OBJECT instance-i-00000000000000001.log "GET /instance-i-00000000000000001.log HTTP/1.1" 403 AccessDenied 243 - 5 - "-" "python-requests/2.18.4" -"#,
            reason: .notAUsageBucket
        ),
        SkipExample(
            name: "a usage bucket named after an availability zone",
            line: line(bucket: "kubeflow-on-aws-usage-tracking-us-west-2a"),
            reason: .invalidRegion
        ),
        SkipExample(
            name: "a usage bucket named after no region",
            line: line(bucket: "kubeflow-on-aws-usage-tracking-moon-base-1"),
            reason: .invalidRegion
        ),
        SkipExample(
            name: "no bucket and a usage bucket host with a malformed region",
            line: line(bucket: "-", host: "kubeflow-on-aws-usage-tracking-bogus.s3.bogus.amazonaws.com"),
            reason: .invalidRegion
        ),
        SkipExample(
            name: "x-instance-id names another instance than the key",
            line: line(requestURI: #""GET /instance-i-0123456789abcdef0.log?x-instance-id=i-0fedcba9876543210 HTTP/1.1""#),
            reason: .instanceIDMismatch
        ),
        SkipExample(
            name: "an uppercase ID",
            line: line(key: "instance-I-0123456789ABCDEF0.log", requestURI: #""GET /instance-I-0123456789ABCDEF0.log?x-instance-id=I-0123456789ABCDEF0 HTTP/1.1""#),
            reason: .invalidInstanceID
        ),
        SkipExample(
            name: "an ID with 16 hex digits",
            line: line(key: "instance-i-0123456789abcdef.log", requestURI: #""GET /instance-i-0123456789abcdef.log HTTP/1.1""#),
            reason: .invalidInstanceID
        ),
        SkipExample(
            name: "a malformed x-instance-id without a key",
            line: line(key: "-", requestURI: #""GET /?x-instance-id=i-xyz HTTP/1.1""#).replacingFirst("REST.GET.OBJECT", with: "-"),
            reason: .invalidInstanceID
        ),
    ]

    static let malformedLines: [MalformedExample] = [
        MalformedExample(name: "empty", line: "", reason: .tooFewFields),
        MalformedExample(name: "garbage", line: "garbage garbage garbage", reason: .tooFewFields),
        MalformedExample(name: "an HTML error page", line: "<html><body><h1>503 Service Unavailable</h1></body></html>", reason: .tooFewFields),
        MalformedExample(
            name: "truncated after the status",
            line: ping27.truncated(before: " AccessDenied"),
            reason: .tooFewFields
        ),
        MalformedExample(
            name: "truncated inside the request-URI",
            line: ping27.truncated(before: "?x-instance-id"),
            reason: .unterminatedField
        ),
        MalformedExample(
            name: "truncated inside the user agent",
            line: ping27.truncated(before: "/2.31.0"),
            reason: .unterminatedField
        ),
        MalformedExample(
            name: "truncated inside the time",
            line: "\(owner) kubeflow-on-aws-usage-tracking-us-west-2 [06/Feb/2019:00:0",
            reason: .unterminatedField
        ),
        MalformedExample(
            name: "a user agent whose closing quote is escaped",
            line: line(userAgent: #""python-requests/2.31.0\""#),
            reason: .unterminatedField
        ),
        MalformedExample(name: "February 31st", line: line(time: "[31/Feb/2019:00:00:38 +0000]"), reason: .invalidTime),
        MalformedExample(name: "a lowercase month", line: line(time: "[06/feb/2019:00:00:38 +0000]"), reason: .invalidTime),
        MalformedExample(name: "hour 24", line: line(time: "[06/Feb/2019:24:00:00 +0000]"), reason: .invalidTime),
        MalformedExample(name: "an ISO 8601 time", line: line(time: "[2019-02-06T00:00:38Z]"), reason: .invalidTime),
        MalformedExample(name: "a time without brackets", line: line(time: "06/Feb/2019:00:00:38"), reason: .invalidTime),
    ]
}

@Suite struct S3AccessLogParserTests {
    typealias Fixtures = S3AccessLogFixtures

    // MARK: Pings

    @Test(arguments: Fixtures.pings)
    func readsPings(_ example: Fixtures.PingExample) throws {
        var parser = S3AccessLogParser()
        let expected = Ping(
            instanceID: try InstanceID(validating: example.instanceID),
            region: try Region(validating: example.region),
            receivedAtMilliseconds: example.milliseconds
        )
        #expect(parser.parse(example.line) == .ping(expected))
    }

    @Test(arguments: ["200", "403", "404", "500", "503", "-"])
    func theStatusDoesNotMatter(_ status: String) throws {
        var parser = S3AccessLogParser()
        let record = parser.parse(Fixtures.line(status: status))
        guard case .ping(let ping) = record else {
            Issue.record("expected a ping, got \(record)")
            return
        }
        #expect(ping.instanceID.rawValue == "i-0123456789abcdef0")
        #expect(ping.region?.code == "us-west-2")
    }

    // MARK: Skipped records

    @Test(arguments: Fixtures.skips)
    func skipsWhatIsNotAPing(_ example: Fixtures.SkipExample) {
        var parser = S3AccessLogParser()
        #expect(parser.parse(example.line) == .skipped(example.reason))
    }

    // MARK: Malformed lines

    @Test(arguments: Fixtures.malformedLines)
    func refusesMalformedLines(_ example: Fixtures.MalformedExample) {
        var parser = S3AccessLogParser()
        #expect(parser.parse(example.line) == .malformed(example.reason))
    }

    // MARK: Bytes, caches and streams

    @Test func bytesAndTextGiveTheSameRecord() {
        var parser = S3AccessLogParser()
        let fromText = parser.parse(Fixtures.ping27)
        let fromBytes = Array(Fixtures.ping27.utf8).withUnsafeBufferPointer { parser.parse($0) }
        let fromRawBytes = Array(Fixtures.ping27.utf8).withUnsafeBytes { parser.parse($0) }
        #expect(fromText == fromBytes)
        #expect(fromText == fromRawBytes)
    }

    @Test func everyTruncationIsMalformedOrTheSamePing() {
        // Cut a record after every byte: before its 18th field it is malformed, after it the same ping.
        var parser = S3AccessLogParser()
        let full = parser.parse(Fixtures.ping27)
        let bytes = Array(Fixtures.ping27.utf8)
        var pings = 0
        for length in 0..<bytes.count {
            let record = bytes[0..<length].withUnsafeBufferPointer { parser.parse($0) }
            switch record {
            case .malformed: break
            case .ping: pings += 1; #expect(record == full, "cut after \(length) bytes")
            case .skipped: Issue.record("cut after \(length) bytes: \(record)")
            }
        }
        // The shortest ping ends with the space after the user agent: an empty 18th field.
        let shortestPing = Fixtures.ping27.truncated(before: "- \(Fixtures.hostID)").utf8.count
        #expect(pings == bytes.count - shortestPing)
    }

    @Test func rememberedRegionsAndIDsNeverLeakIntoOtherRecords() throws {
        // One parser across many records: what it remembers must match the bytes exactly.
        var parser = S3AccessLogParser()
        let ids = ["i-0123456789abcdef0", "i-0123456789abcdef1", "i-0a1b2c3d", "i-0a1b2c3e"]
        let regions = ["us-west-2", "us-west-1", "eu-west-1", "cn-north-1", "us-gov-west-1"]
        for round in 0..<3 {
            for id in ids {
                for region in regions {
                    let line = Fixtures.line(
                        bucket: "kubeflow-on-aws-usage-tracking-\(region)", key: "instance-\(id).log",
                        requestURI: #""GET /instance-\#(id).log?x-instance-id=\#(id) HTTP/1.1""#
                    )
                    let expected = Ping(
                        instanceID: try InstanceID(validating: id),
                        region: try Region(validating: region),
                        receivedAtMilliseconds: 1_549_411_238_000
                    )
                    #expect(parser.parse(line) == .ping(expected), "round \(round)")
                }
            }
        }
        #expect(parser.parse(Fixtures.line(bucket: "kubeflow-on-aws-usage-tracking-us-west-2a")) == .skipped(.invalidRegion))
    }

    @Test(arguments: [1, 2, 7, 64, 1 << 16])
    func linesSurviveAnyChunking(_ chunkSize: Int) {
        let lines = [Fixtures.ping27, "", "garbage", Fixtures.line(status: "404"), "last line without newline"]
        let stream = Array(lines.joined(separator: "\n").utf8)
        var splitter = S3AccessLogLineSplitter()
        var seen: [String] = []
        stream.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let end = min(start + chunkSize, bytes.count)
                splitter.consume(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) { seen.append(String(decoding: $0, as: UTF8.self)) }
                start = end
            }
        }
        splitter.finish { seen.append(String(decoding: $0, as: UTF8.self)) }
        #expect(seen == lines)
        #expect(splitter.lineNumber == lines.count)
    }

    @Test func overlongLinesAreCut() {
        var splitter = S3AccessLogLineSplitter(maximumLineLength: 10)
        var seen: [String] = []
        let stream = Array("0123456789abcdef\nshort\n0123456789".utf8)
        for index in stream.indices {
            stream.withUnsafeBytes { bytes in
                splitter.consume(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 1)])) { seen.append(String(decoding: $0, as: UTF8.self)) }
            }
        }
        splitter.finish { seen.append(String(decoding: $0, as: UTF8.self)) }
        #expect(seen == ["0123456789", "short", "0123456789"])
    }

    // MARK: Time

    @Test(arguments: [
        ("06/Feb/2019:00:00:38 +0000", Int64(1_549_411_238_000)),
        ("06/Feb/2019:05:30:38 +0530", Int64(1_549_411_238_000)),
        ("05/Feb/2019:17:00:38 -0700", Int64(1_549_411_238_000)),
        ("29/Feb/2024:23:59:59 +0000", Int64(1_709_251_199_000)),
        ("01/Jan/1970:00:00:00 +0000", Int64(0)),
        ("31/Dec/1969:23:59:59 +0000", Int64(-1000)),
        ("01/Jan/1970:00:00:00 +0100", Int64(-3_600_000)),
    ])
    func readsTimes(_ text: String, _ milliseconds: Int64) {
        #expect(S3AccessLogTime.milliseconds(text) == milliseconds)
    }

    @Test(arguments: [
        "29/Feb/2023:00:00:00 +0000", "31/Apr/2019:00:00:00 +0000", "00/Jan/2019:00:00:00 +0000",
        "06/feb/2019:00:00:38 +0000", "06/FEB/2019:00:00:38 +0000", "6/Feb/2019:00:00:38 +0000",
        "06/Feb/2019:00:00:38+0000", "06/Feb/2019:00:00:60 +0000", "06/Feb/2019:00:60:00 +0000",
        "06/Feb/2019:00:00:38 +2400", "06/Feb/2019:00:00:38 +0060", "06/Feb/2019:00:00:38 Z    ",
        "06/Feb/2019 00:00:38 +0000", "06/Feb/2019:00:00:38 +0000 ", "", "[06/Feb/2019:00:00:38 +0000]",
    ])
    func refusesMalformedTimes(_ text: String) {
        #expect(S3AccessLogTime.milliseconds(text) == nil)
    }
}

extension String {
    /// This text with the first occurrence of `target` replaced.
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var text = self
        text.replaceSubrange(range, with: replacement)
        return text
    }

    /// This text up to the first occurrence of `marker`, for truncated lines.
    fileprivate func truncated(before marker: String) -> String {
        guard let range = firstRange(of: marker) else { return self }
        return String(self[..<range.lowerBound])
    }
}
