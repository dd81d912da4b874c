import Testing
import UsageTrackingCore

@Suite struct RegionTests {
    @Test(arguments: [
        ("us-west-2", Region.Partition.aws, true),
        ("il-central-1", .aws, true),
        ("mx-central-1", .aws, true),
        ("ap-southeast-7", .aws, true),
        ("ap-east-2", .aws, true),
        ("cn-north-1", .awsCN, true),
        ("cn-northwest-1", .awsCN, true),
        ("us-gov-west-1", .awsUSGov, true),
        ("us-gov-east-1", .awsUSGov, true),
        ("eusc-de-east-1", .awsEUSC, false),
        ("us-west-9", .aws, false),  // well-formed, launched after the catalog: accepted, flagged
        ("af-north-12", .aws, false),
    ])
    func acceptsRegionCodes(_ raw: String, _ partition: Region.Partition, _ cataloged: Bool) throws {
        let region = try Region(validating: raw)
        #expect(region.code == raw)
        #expect(region.partition == partition)
        #expect(region.isCataloged == cataloged)
    }

    @Test(arguments: [
        "us-west-2a",  // a zone, not a region
        "us-west-2-lax-1a",  // a Local Zone
        "bogus",
        "",
        " us-west-2",
        "us-west-2 ",
        "US-WEST-2",
        "xx-west-2",
        "us-west",
        "us--2",
        "us-west-",
        "us-gov-west",
        "cn-north",
        "eusc-de-1",
        "us-west-2-",
        "us-west-two",
    ])
    func refusesAnythingElse(_ raw: String) {
        #expect(throws: InvalidInput.self) { try Region(validating: raw) }
    }

    @Test(arguments: [
        ("us-west-2a", "us-west-2"),
        ("us-west-2-lax-1a", "us-west-2"),  // Local Zone: cutting the last character is wrong
        ("us-east-1-bos-1a", "us-east-1"),
        ("us-east-1-wl1-bos-wlz-1", "us-east-1"),  // Wavelength Zone
        ("ap-northeast-1-tpe-1a", "ap-northeast-1"),
        ("cn-north-1a", "cn-north-1"),
        ("us-gov-west-1a", "us-gov-west-1"),
        ("il-central-1c", "il-central-1"),
        ("eusc-de-east-1a", "eusc-de-east-1"),
    ])
    func mapsZonesToTheirRegion(_ zone: String, _ region: String) throws {
        #expect(try Region(zone: zone).code == region)
    }

    @Test(arguments: ["us-west-2", "bogus", "", "us-west-2ab", "us-west-2-", "usw2-az1", "us-west-2A"])
    func refusesWhatIsNotAZoneName(_ raw: String) {
        #expect(throws: InvalidInput.self) { try Region(zone: raw) }
    }

    @Test func catalogHoldsTodaysRegions() {
        let commercial = Region.catalog.filter { !$0.hasPrefix("cn-") && !$0.hasPrefix("us-gov-") }
        #expect(commercial.count == 34)
        #expect(Region.catalog.count == 38)
        for code in Region.catalog {
            #expect(throws: Never.self) { try Region(validating: code) }
        }
    }
}
