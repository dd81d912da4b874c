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
        ("ap-abcdefghij-99", .aws, false),  // the longest shape: a 10-letter word, 2 digits
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
        // Longer than AWS's segments: a word of at most 10 letters, a number of at most 2 digits.
        "us-" + String(repeating: "a", count: 890) + "-1",
        "us-abcdefghijk-1",
        "us-west-123",
        "eusc-de-" + String(repeating: "e", count: 11) + "-1",
        "us-gov-west-100",
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

@Suite struct RegionalScopeTests {
    /// A report names today's regions; a code outside the catalog counts under `other`, so a
    /// client inventing codes adds one scope, not one per code.
    @Test func codesOutsideTheCatalogShareOneScope() {
        #expect(RollupChanges.scope("us-west-2") == "us-west-2")
        #expect(RollupChanges.scope("cn-northwest-1") == "cn-northwest-1")
        #expect(RollupChanges.scope("us-west-9") == "other")
        #expect(RollupChanges.scope("eusc-de-east-1") == "other")
        #expect(RollupChanges.scope(nil) == "unknown")
    }

    @Test func aZoneNameIsBoundedToo() throws {
        #expect(throws: InvalidInput.self) { try Region(zone: "us-west-2-" + String(repeating: "lax-", count: 20) + "1a") }
        #expect(try Region(zone: "us-east-1-wl1-bos-wlz-1").code == "us-east-1")
    }
}
