import Testing
import UsageTrackingCore

@Suite struct UsageBucketTests {
    @Test(arguments: [
        ("kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com", "us-west-2"),
        ("kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com:443", "us-west-2"),
        ("KUBEFLOW-ON-AWS-USAGE-TRACKING-EU-WEST-1.S3.EU-WEST-1.AMAZONAWS.COM", "eu-west-1"),
        ("kubeflow-on-aws-usage-tracking-cn-north-1.s3.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("kubeflow-on-aws-usage-tracking-us-gov-west-1.s3.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("kubeflow-on-aws-usage-tracking-us-east-1.s3.amazonaws.com", "us-east-1"),
    ])
    func regionFromBucketHost(_ host: String, _ region: String) throws {
        #expect(try UsageBucket.region(fromHost: host)?.code == region)
    }

    @Test(arguments: ["localhost:8080", "127.0.0.1", "collector.example.com", "s3.us-west-2.amazonaws.com"])
    func otherHostsNameNoRegion(_ host: String) throws {
        #expect(try UsageBucket.region(fromHost: host) == nil)
    }

    @Test(arguments: [
        "kubeflow-on-aws-usage-tracking-bogus.s3.bogus.amazonaws.com",
        "kubeflow-on-aws-usage-tracking-us-west-2.s3.eu-west-1.amazonaws.com",
        "kubeflow-on-aws-usage-tracking-us-west-2.evil.example",
        "kubeflow-on-aws-usage-tracking-us-west-2",
    ])
    func malformedBucketHostsAreRefused(_ host: String) {
        #expect(throws: InvalidInput.self) { try UsageBucket.region(fromHost: host) }
    }

    @Test func theOriginalRequest() throws {
        let id = try InstanceID(validating: "i-0123456789abcdef0")
        #expect(UsageBucket.host(for: try Region(validating: "us-west-2")) == "kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com")
        #expect(UsageBucket.host(for: try Region(validating: "cn-north-1")) == "kubeflow-on-aws-usage-tracking-cn-north-1.s3.cn-north-1.amazonaws.com.cn")
        #expect(UsageBucket.pathAndQuery(for: id) == "/instance-i-0123456789abcdef0.log?x-instance-id=i-0123456789abcdef0")
        #expect(UsageBucket.instanceIDText(fromObjectKey: "instance-i-0123abcd.log") == "i-0123abcd")
        #expect(UsageBucket.instanceIDText(fromObjectKey: "instance-.log") == nil)
        #expect(UsageBucket.instanceIDText(fromObjectKey: "favicon.ico") == nil)
    }
}
