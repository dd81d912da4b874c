import Testing
import UsageTrackingCore

@Suite struct ProviderIDTests {
    @Test func anEC2NodeNamesItsInstanceAndZone() throws {
        let parsed = try ProviderID(parsing: "aws:///us-west-2b/i-0123456789abcdef0")
        #expect(parsed == .ec2(try InstanceID(validating: "i-0123456789abcdef0"), region: try Region(validating: "us-west-2")))
    }

    @Test func aLocalZoneNodeMapsToItsParentRegion() throws {
        let parsed = try ProviderID(parsing: "aws:///us-west-2-lax-1a/i-0123456789abcdef0")
        #expect(parsed == .ec2(try InstanceID(validating: "i-0123456789abcdef0"), region: try Region(validating: "us-west-2")))
    }

    @Test func aProviderIDWithoutZoneHasNoRegion() throws {
        #expect(try ProviderID(parsing: "aws:////i-0123abcd") == .ec2(try InstanceID(validating: "i-0123abcd"), region: nil))
    }

    @Test func aFargateNodeHasNoInstance() throws {
        #expect(try ProviderID(parsing: "aws:///us-east-1a/fargate-ip-192-168-1-10.ec2.internal") == .fargate)
    }

    @Test(arguments: [
        "", "gce://project/zone/name", "aws:///us-west-2b/i-fake", "aws:///us-west-2b/i-0123456789abcdef0junk",
        "aws://us-west-2b/i-0123abcd", "aws:///bogus/i-0123abcd", "aws:///us-west-2b/i-0123abcd/extra",
    ])
    func refusesAnythingElse(_ raw: String) {
        #expect(throws: InvalidInput.self) { try ProviderID(parsing: raw) }
    }
}
