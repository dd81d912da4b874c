#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of `POST /v1/pings`: `{"instance_id":"i-…","region":"us-west-2"}` and nothing else.
public struct PingPayload: Hashable, Sendable, Codable {
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

    /// Decodes and validates a body; any unknown field, missing field or malformed value is refused.
    public static func decode(_ body: Data) throws(InvalidInput) -> PingPayload {
        guard body.count <= maximumBodySize else {
            throw InvalidInput(code: "body_too_large", detail: "A ping body may have at most \(maximumBodySize) bytes.")
        }
        do {
            return try JSONDecoder().decode(PingPayload.self, from: body)
        } catch let error as InvalidInput {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw InvalidInput(code: "missing_field", detail: "The field \"\(key.stringValue)\" is required.")
        } catch let DecodingError.typeMismatch(_, context) {
            throw InvalidInput(code: "invalid_json", detail: "Wrong type at \(Self.path(context)): instance_id and region are strings.")
        } catch let DecodingError.valueNotFound(_, context) {
            throw InvalidInput(code: "invalid_json", detail: "\(Self.path(context)) must not be null.")
        } catch {
            throw InvalidInput(code: "invalid_json", detail: "The body is not a JSON object of the form {\"instance_id\":\"i-…\",\"region\":\"us-west-2\"}.")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? "the top level" : "\"\(path)\""
    }

    // MARK: Codable

    enum CodingKeys: String, CodingKey, CaseIterable {
        case instanceID = "instance_id"
        case region
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let any = try decoder.container(keyedBy: AnyKey.self)
        for key in any.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
            throw InvalidInput(
                code: "unknown_field",
                detail: "The field \(InvalidInput.quoted(key.stringValue)) is not accepted: a ping carries only instance_id and region."
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.instanceID = try InstanceID(validating: container.decode(String.self, forKey: .instanceID))
        self.region = try Region(validating: container.decode(String.self, forKey: .region))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(instanceID.rawValue, forKey: .instanceID)
        try container.encode(region.code, forKey: .region)
    }
}
