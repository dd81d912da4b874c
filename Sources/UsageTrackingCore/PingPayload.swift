#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of `POST /v1/pings`: `{"instance_id":"i-…","region":"us-west-2"}` and nothing else.
public struct PingPayload: Hashable, Sendable, Encodable {
    public let instanceID: InstanceID
    public let region: Region

    /// The most bytes a ping body may have.
    public static let maximumBodySize = 1024

    public init(instanceID: InstanceID, region: Region) {
        self.instanceID = instanceID
        self.region = region
    }

    /// The exact JSON body the agent sends, keys in a fixed order.
    public var jsonBody: String {
        #"{"instance_id":"\#(instanceID.rawValue)","region":"\#(region.code)"}"#
    }

    /// Reads and validates a body (``PingBody``: exactly one JSON object with the two fields as
    /// strings); any unknown field, missing field, repeated field or malformed value is refused.
    public static func decode(_ body: some Collection<UInt8>) throws(InvalidInput) -> PingPayload {
        guard body.count <= maximumBodySize else {
            throw InvalidInput(code: "body_too_large", detail: "A ping body may have at most \(maximumBodySize) bytes.")
        }
        let fields = try PingBody.fields(of: body)
        return PingPayload(instanceID: try InstanceID(validating: fields.instanceID), region: try Region(validating: fields.region))
    }

    // MARK: Encodable

    enum CodingKeys: String, CodingKey {
        case instanceID = "instance_id"
        case region
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(instanceID.rawValue, forKey: .instanceID)
        try container.encode(region.code, forKey: .region)
    }
}
