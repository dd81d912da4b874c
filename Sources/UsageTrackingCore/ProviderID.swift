/// What a Kubernetes node's `spec.providerID` says about its EC2 instance.
///
/// EKS and the AWS cloud provider write `aws:///<zone>/<instance-id>` (or `aws:////<instance-id>`
/// when the zone is unknown); Fargate nodes carry a `fargate-…` ID that names no instance.
public enum ProviderID: Hashable, Sendable {
    /// An EC2 instance, with the region of its zone when the providerID names one.
    case ec2(InstanceID, region: Region?)
    /// A Fargate node: there is no instance to report.
    case fargate

    /// Parses a providerID; anything that is not an AWS providerID with a well-formed instance
    /// ID or a Fargate ID is refused.
    public init(parsing raw: String) throws(InvalidInput) {
        let prefix = "aws://"
        guard raw.hasPrefix(prefix) else {
            throw InvalidInput(code: "invalid_provider_id", detail: "\(InvalidInput.quoted(raw)) is not an AWS providerID (aws:///<zone>/<instance-id>).")
        }
        let parts = raw.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        // "aws:///us-west-2a/i-…" gives ["", "us-west-2a", "i-…"]; "aws:////i-…" gives ["", "", "i-…"].
        guard parts.count == 3, parts[0].isEmpty, let last = parts.last else {
            throw InvalidInput(code: "invalid_provider_id", detail: "\(InvalidInput.quoted(raw)) is not of the form aws:///<zone>/<instance-id>.")
        }
        if last.hasPrefix("fargate-") {
            self = .fargate
            return
        }
        let instanceID = try InstanceID(validating: last)
        let region = parts[1].isEmpty ? nil : try Region(zone: parts[1])
        self = .ec2(instanceID, region: region)
    }
}
