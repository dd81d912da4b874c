import Foundation
import Hummingbird

/// A fake EC2 instance metadata service speaking the real protocol: `PUT /latest/api/token` with
/// `X-aws-ec2-metadata-token-ttl-seconds`, then GETs with or without `X-aws-ec2-metadata-token`.
public struct FakeMetadataService: Sendable {
    public enum TokenBehaviour: Sendable {
        /// Hands out a token; GETs without it get 401 (IMDSv2 required).
        case required
        /// Hands out a token; GETs without one work too (IMDSv1 still allowed).
        case optional
        /// The token PUT is refused with this status; GETs work without a token (IMDSv1 only).
        case refused(Int)
        /// The token PUT gets 200 with an empty body.
        case empty
        /// The token's answer comes after 4 s, past the agent's default 2 s per request (as for a
        /// pod one hop too far, hop limit 1, where it never comes); GETs without a token get 401.
        case dropped
    }

    public var token: TokenBehaviour
    public var instanceID: String?
    public var region: String?
    public var zone: String?

    public init(token: TokenBehaviour = .required, instanceID: String? = "i-0123456789abcdef0", region: String? = "us-west-2", zone: String? = "us-west-2b") {
        self.token = token
        self.instanceID = instanceID
        self.region = region
        self.zone = zone
    }

    public static let validToken = "AQAEAFake-token=="

    public func install(on router: Router<BasicRequestContext>) {
        router.put("latest/api/token") { request, _ -> Response in
            guard Self.header(request, "x-aws-ec2-metadata-token-ttl-seconds") != nil else {
                return Response(status: .badRequest)
            }
            switch token {
            case .required, .optional: return Self.text(Self.validToken)
            case .refused(let status): return Response(status: .init(code: status))
            case .empty: return Self.text("")
            case .dropped:
                try await Task.sleep(for: .seconds(4))
                return Self.text(Self.validToken)
            }
        }
        router.get("latest/meta-data/**") { request, context -> Response in
            let presented = Self.header(request, "x-aws-ec2-metadata-token")
            switch token {
            case .required, .dropped:
                guard presented == Self.validToken else { return Response(status: .unauthorized) }
            case .optional:
                if let presented, presented != Self.validToken { return Response(status: .unauthorized) }
            case .refused, .empty:
                break
            }
            let path = request.uri.path
            let value: String?
            switch path {
            case "/latest/meta-data/instance-id": value = instanceID
            case "/latest/meta-data/placement/region": value = region
            case "/latest/meta-data/placement/availability-zone": value = zone
            default: value = nil
            }
            guard let value else { return Response(status: .notFound) }
            return Self.text(value)
        }
    }

    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    static func text(_ value: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: value)))
    }
}
