// libFuzzer target: PingPayload.decode, the body of POST /v1/pings.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

let knownCodes: Set<String> = ["body_too_large", "invalid_json", "missing_field", "unknown_field", "invalid_instance_id", "invalid_region"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    let payload: PingPayload
    do {
        payload = try PingPayload.decode(body)
    } catch {
        require(knownCodes.contains(error.code), "unknown error code \(error.code)")
        require(!error.detail.isEmpty, "an error without a detail")
        require(size <= PingPayload.maximumBodySize || error.code == "body_too_large", "a body over the limit refused as \(error.code)")
        // What a client is told (and what is logged) quotes at most 64 characters of its input,
        // each escaped to at most 6 bytes: a detail stays short whatever the body.
        require(error.detail.utf8.count <= 640, "an error detail of \(error.detail.utf8.count) bytes")
        return 0
    }
    require(size <= PingPayload.maximumBodySize, "a body of \(size) bytes was accepted")
    // What was accepted is well formed.
    require(InstanceID.isValid(payload.instanceID.rawValue.utf8), "an accepted instance ID does not validate")
    require((try? Region(validating: payload.region.code)) == payload.region, "an accepted region does not validate")
    // A second reader agrees on what an accepted body says (the strict reader accepts less,
    // never something else).
    let other = try? JSONDecoder().decode([String: String].self, from: body)
    require(other == ["instance_id": payload.instanceID.rawValue, "region": payload.region.code], "JSONDecoder reads the accepted body differently: \(String(describing: other))")
    // The agent's exact body, and the Codable encoding, decode to the same payload.
    let canonical = try? PingPayload.decode(Data(payload.jsonBody.utf8))
    require(canonical == payload, "jsonBody does not decode to the same payload")
    if let encoded = try? JSONEncoder().encode(payload) {
        require((try? PingPayload.decode(encoded)) == payload, "the Codable encoding does not decode to the same payload")
    } else {
        require(false, "a valid payload does not encode")
    }
    return 0
}
