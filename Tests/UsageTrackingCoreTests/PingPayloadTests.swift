import Foundation
import Testing
import UsageTrackingCore

@Suite struct PingPayloadTests {
    @Test func decodesTheDocumentedBody() throws {
        let payload = try PingPayload.decode(Data(#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#.utf8))
        #expect(payload.instanceID.rawValue == "i-0123456789abcdef0")
        #expect(payload.region.code == "us-west-2")
        #expect(payload.jsonBody == #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#)
    }

    @Test(arguments: [
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2","cluster":"prod"}"#, "unknown_field"),
        (#"{"instance_id":"i-0123456789abcdef0"}"#, "missing_field"),
        (#"{"region":"us-west-2"}"#, "missing_field"),
        (#"{"instance_id":"i-fake","region":"us-west-2"}"#, "invalid_instance_id"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2a"}"#, "invalid_region"),
        (#"{"instance_id":12,"region":"us-west-2"}"#, "invalid_json"),
        (#"{"instance_id":null,"region":"us-west-2"}"#, "invalid_json"),
        (#"["i-0123456789abcdef0","us-west-2"]"#, "invalid_json"),
        ("instance_id=i-0123456789abcdef0", "invalid_json"),
        ("", "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2""#, "invalid_json"),
        // Two readers could take these differently: refused, not read one way.
        (#"{"instance_id":"i-0123456789abcdef0","instance_id":"i-0123456789abcdef1","region":"us-west-2"}"#, "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2",}"#, "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"} x"#, "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}{}"#, "invalid_json"),
        ("\u{FEFF}" + #"{"instance_id":"i-0123456789abcdef0","region":"us-west-2"}"#, "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0",/*c*/"region":"us-west-2"}"#, "invalid_json"),
        (#"{'instance_id':'i-0123456789abcdef0','region':'us-west-2'}"#, "invalid_json"),
        ("{\"instance_id\":\"i-0123456789abcdef0\",\"region\":\"us-west-2\t\"}", "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2","x":01}"#, "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2","x":{"a":1,"a":2}}"#, "invalid_json"),
        (#"{"instance_id":"i-0123456789abcdef0","region":"us-west-2","x":[1,2]}"#, "unknown_field"),
        (#"{"instance_id":"i-0123456789abcdef0","region":["us-west-2"]}"#, "invalid_json"),
        (#"{"instance_id":"\ud800","region":"us-west-2"}"#, "invalid_json"),
    ])
    func refusesBadBodies(_ body: String, _ code: String) {
        #expect {
            try PingPayload.decode(Data(body.utf8))
        } throws: { error in
            (error as? InvalidInput)?.code == code
        }
    }

    /// Escapes and white space as JSON allows them.
    @Test(arguments: [
        #" { "region" : "us-west-2" , "instance_id" : "i-0123456789abcdef0" } "#,
        #"{"instance_id":"i-0123456789abcdef\u0030","region":"us\u002dwest-2"}"#,
        "{\n\t\"instance_id\":\"i-0123456789abcdef0\",\r\n\"region\":\"us-west-2\"}\n",
    ])
    func readsEveryWayJSONWritesTheBody(_ body: String) throws {
        let payload = try PingPayload.decode(Data(body.utf8))
        #expect(payload.instanceID.rawValue == "i-0123456789abcdef0")
        #expect(payload.region.code == "us-west-2")
    }

    @Test func refusesBodiesOverOneKiB() {
        let padding = String(repeating: " ", count: 1100)
        let body = #"{"instance_id":"i-0123456789abcdef0",\#(padding)"region":"us-west-2"}"#
        #expect {
            try PingPayload.decode(Data(body.utf8))
        } throws: { error in
            (error as? InvalidInput)?.code == "body_too_large"
        }
    }
}
