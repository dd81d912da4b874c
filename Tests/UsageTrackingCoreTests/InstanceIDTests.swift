import Testing
import UsageTrackingCore

@Suite struct InstanceIDTests {
    @Test(arguments: [
        "i-0123abcd",
        "i-0123456789abcdef0",
        "i-00000000",
        "i-ffffffffffffffff0",
    ])
    func acceptsWellFormedIDs(_ raw: String) throws {
        #expect(try InstanceID(validating: raw).rawValue == raw)
    }

    @Test(arguments: [
        "i-0123456789abcdef0junk",  // not anchored at the end: the original script's bug
        "i-fake",  // moto's instance ID
        "i-0123456789ABCDEF0",  // uppercase hex
        "i-0123456789abcdef",  // 16 digits
        "i-0123456",  // 7 digits
        "i-0123456789",  // 10 digits
        "i-0123456789abcdef01",  // 18 digits
        "",
        " ",
        " i-0123456789abcdef0",
        "i-0123456789abcdef0 ",
        "i-0123456789abcdef0\n",
        "I-0123456789abcdef0",
        "i_0123456789abcdef0",
        "0123456789abcdef0",
        "i-0123456g",
        "xi-0123abcd",
        "i-0123abcd\u{0}",
    ])
    func refusesMalformedIDs(_ raw: String) {
        #expect(throws: InvalidInput.self) { try InstanceID(validating: raw) }
        #expect(InstanceID.isValid(Array(raw.utf8)) == false)
    }

    @Test func errorNamesTheInputAndTheRule() {
        #expect {
            try InstanceID(validating: "i-fake")
        } throws: { error in
            let error = error as! InvalidInput
            return error.code == "invalid_instance_id" && error.detail.contains("\"i-fake\"") && error.detail.contains("8 or 17")
        }
    }

    /// The packed form stands for the ID exactly: equal for the same ID, different for any two
    /// different ones, including an 8-digit and a 17-digit ID with the same digits' value.
    @Test func packedFormIsExact() throws {
        let raws = [
            "i-0000000a", "i-0000000000000000a", "i-1000000000000000a", "i-f000000000000000a",
            "i-0123abcd", "i-0000000000123abcd", "i-0123456789abcdef0", "i-0123456789abcdef1",
            "i-ffffffff", "i-fffffffffffffffff", "i-00000000", "i-00000000000000000",
        ]
        var seen: [String: String] = [:]
        for raw in raws {
            let packed = try InstanceID(validating: raw).packed
            let again = try InstanceID(validating: raw).packed
            #expect(packed == again)
            let key = "\(packed.high)/\(packed.low)"
            #expect(seen[key] == nil, "\(raw) packs like \(seen[key] ?? "")")
            seen[key] = raw
        }
        #expect(try InstanceID(validating: "i-0123abcd").packed == (8 << 4, 0x0123abcd))
        #expect(try InstanceID(validating: "i-f000000000000000a").packed == (17 << 4 | 0xf, 0xa))
    }
}
