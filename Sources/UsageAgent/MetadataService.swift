import Logging
import UsageTrackingCore

/// The EC2 instance metadata service: IMDSv2 with a session token, else IMDSv1.
struct MetadataService {
    let endpoint: String
    /// The bound on each request (`AWS_METADATA_SERVICE_TIMEOUT`).
    let requestSeconds: Int64
    let http: AgentHTTP
    let deadline: Deadline
    let logger: Logger

    static let tokenTTLHeader = "X-aws-ec2-metadata-token-ttl-seconds"
    static let tokenHeader = "X-aws-ec2-metadata-token"

    enum Failure: Error {
        /// 401 on a GET: IMDSv2 is required and we have no valid token.
        case tokenRequired
        case notFound
        case unreachable(String)
        case status(Int)
    }

    func discover() async -> StepResult {
        // 1. IMDSv2: a session token.
        var token: String? = nil
        switch await fetchToken() {
        case .success(let value):
            token = value
        case .failure(let reason):
            // A timeout, 403, 404 or 405 on the token: IMDSv1 may still answer (a pod one hop too
            // far sees the PUT's answer dropped, while IMDSv1 GETs reach it).
            logger.debug("no IMDSv2 token, trying IMDSv1", metadata: ["imds.reason": "\(reason)"])
        }
        let source: InstanceIdentity.Source = token == nil ? .imdsV1 : .imdsV2
        // 2. The instance ID and region, with the token (IMDSv2) or without (IMDSv1).
        let idText: String
        switch await get("/latest/meta-data/instance-id", token: token) {
        case .success(let text): idText = text
        case .failure(.tokenRequired):
            return .nothing("IMDSv2 is required (401) and no token could be had: the pod may be one hop too far (hop limit 1)")
        case .failure(let failure): return .nothing("instance-id: \(Self.describe(failure))")
        }
        let instanceID: InstanceID
        do {
            instanceID = try InstanceID(validating: idText)
        } catch {
            return .nothing("the metadata service returned a malformed instance ID: \(error.detail)")
        }
        let region: Region
        switch await get("/latest/meta-data/placement/region", token: token) {
        case .success(let text):
            do {
                region = try Region(validating: text)
            } catch {
                return .nothing("the metadata service returned a malformed region: \(error.detail)")
            }
        case .failure(.notFound):
            // Older metadata without placement/region: derive it from the zone name (not by
            // cutting off its last character, which is wrong for Local and Wavelength Zones).
            switch await get("/latest/meta-data/placement/availability-zone", token: token) {
            case .success(let zone):
                do {
                    region = try Region(zone: zone)
                } catch {
                    return .nothing("the metadata service returned a malformed zone: \(error.detail)")
                }
            case .failure(let failure): return .nothing("placement/availability-zone: \(Self.describe(failure))")
            }
        case .failure(let failure): return .nothing("placement/region: \(Self.describe(failure))")
        }
        return .found(InstanceIdentity(instanceID: instanceID, region: region, source: source))
    }

    enum TokenFailure: Error {
        /// 403, 404, 405 or another refusal: IMDSv1 may still answer.
        case refused(Int)
        /// No answer to the first try nor the retry.
        case unreachableTwice(String)
        case empty
    }

    /// `PUT /latest/api/token`; an empty token counts as no token.
    func fetchToken() async -> Result<String, TokenFailure> {
        var lastError = ""
        for attempt in 1...2 {
            do {
                let response = try await http.metadata.send(
                    method: "PUT", url: endpoint + "/latest/api/token",
                    headers: [(Self.tokenTTLHeader, "21600")], deadline: deadline.step(seconds: requestSeconds)
                )
                if response.status == 200 {
                    let token = response.body.trimmingWhitespace
                    return token.isEmpty ? .failure(.empty) : .success(token)
                }
                if response.status >= 500, attempt == 1 { continue }
                return .failure(.refused(response.status))
            } catch {
                lastError = "\(error)"
                logger.debug("metadata token request failed", metadata: ["imds.attempt": "\(attempt)", "error": "\(error)"])
                if deadline.isExpired { break }
            }
        }
        return .failure(.unreachableTwice(lastError))
    }

    /// A metadata GET, with the token when there is one, retried once on a timeout or 5xx.
    func get(_ path: String, token: String?) async -> Result<String, Failure> {
        var headers: [(String, String)] = []
        if let token { headers.append((Self.tokenHeader, token)) }
        var failure = Failure.unreachable("no attempt")
        for _ in 1...2 {
            do {
                let response = try await http.metadata.send(method: "GET", url: endpoint + path, headers: headers, deadline: deadline.step(seconds: requestSeconds))
                switch response.status {
                case 200:
                    let text = response.body.trimmingWhitespace
                    return text.isEmpty ? .failure(.status(200)) : .success(text)
                case 401: return .failure(.tokenRequired)
                case 404: return .failure(.notFound)
                case 500...: failure = .status(response.status)
                default: return .failure(.status(response.status))
                }
            } catch {
                failure = .unreachable("\(error)")
            }
            if deadline.isExpired { break }
        }
        return .failure(failure)
    }

    static func describe(_ failure: Failure) -> String {
        switch failure {
        case .tokenRequired: "401: a token is required"
        case .notFound: "404: not found (not an EC2 instance?)"
        case .unreachable(let error): "no answer (\(error))"
        case .status(200): "an empty answer"
        case .status(let status): "HTTP \(status)"
        }
    }
}
