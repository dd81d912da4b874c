/// The original distribution's destination: one S3 bucket per region,
/// `kubeflow-on-aws-usage-tracking-<region>`, with an object key `instance-<id>.log` per instance.
public enum UsageBucket {
    public static let bucketPrefix = "kubeflow-on-aws-usage-tracking-"
    static let keyPrefix = "instance-"
    static let keySuffix = ".log"

    /// `kubeflow-on-aws-usage-tracking-<region>`.
    public static func bucket(for region: Region) -> String { bucketPrefix + region.code }

    /// `kubeflow-on-aws-usage-tracking-<region>.s3.<region>.amazonaws.com` (`.amazonaws.com.cn` in China).
    public static func host(for region: Region) -> String {
        "\(bucket(for: region)).s3.\(region.code).\(region.partition.dnsSuffix)"
    }

    /// `instance-<id>.log`.
    public static func objectKey(for instanceID: InstanceID) -> String {
        keyPrefix + instanceID.rawValue + keySuffix
    }

    /// The path and query the original agent requests: `/instance-<id>.log?x-instance-id=<id>`.
    public static func pathAndQuery(for instanceID: InstanceID) -> String {
        "/\(objectKey(for: instanceID))?x-instance-id=\(instanceID.rawValue)"
    }

    /// The instance ID part of an object key `instance-<id>.log`, unvalidated; `nil` for any other key.
    public static func instanceIDText(fromObjectKey key: Substring) -> Substring? {
        guard key.hasPrefix(keyPrefix), key.hasSuffix(keySuffix), key.count > keyPrefix.count + keySuffix.count else { return nil }
        return key.dropFirst(keyPrefix.count).dropLast(keySuffix.count)
    }

    /// The region of a bucket name `kubeflow-on-aws-usage-tracking-<region>`; `nil` when the name is not one of ours.
    public static func region(fromBucket bucket: Substring) throws(InvalidInput) -> Region? {
        guard bucket.hasPrefix(bucketPrefix) else { return nil }
        return try Region(validating: bucket.dropFirst(bucketPrefix.count))
    }

    /// The region named by a Host header of the bucket's endpoint, such as
    /// `kubeflow-on-aws-usage-tracking-us-west-2.s3.us-west-2.amazonaws.com[:443]`.
    /// `nil` when the host is not a usage bucket's; an error when it is one with a malformed region.
    public static func region(fromHost rawHost: some StringProtocol) throws(InvalidInput) -> Region? {
        var host = Substring(rawHost.lowercased())
        if let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber) {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        guard host.hasPrefix(bucketPrefix) else { return nil }
        let rest = host.dropFirst(bucketPrefix.count)
        guard let dot = rest.firstIndex(of: ".") else { throw .invalidRegion(rest) }
        let region = try Region(validating: rest[..<dot])
        let endpoint = rest[dot...]
        let accepted = [
            ".s3.\(region.code).\(region.partition.dnsSuffix)",
            ".s3.dualstack.\(region.code).\(region.partition.dnsSuffix)",
            ".s3-\(region.code).amazonaws.com",
            ".s3.amazonaws.com",
        ]
        guard accepted.contains(String(endpoint)) else {
            throw InvalidInput(
                code: "invalid_host",
                detail: "\(InvalidInput.quoted(rawHost)) is not the S3 endpoint of the bucket \(bucket(for: region))."
            )
        }
        return region
    }
}
