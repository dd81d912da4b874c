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
        #expect(throws: ValidationError.self) { try InstanceID(validating: raw) }
        #expect(InstanceID.isValid(Array(raw.utf8)) == false)
    }

    @Test func errorNamesTheInputAndTheRule() {
        #expect {
            try InstanceID(validating: "i-fake")
        } throws: { error in
            let error = error as! ValidationError
            return error.code == "invalid_instance_id" && error.detail.contains("\"i-fake\"") && error.detail.contains("8 or 17")
        }
    }
}
