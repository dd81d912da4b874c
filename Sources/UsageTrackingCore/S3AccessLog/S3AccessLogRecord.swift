/// What one line of an Amazon S3 server access log means for usage tracking.
///
/// Only a ping's fields ever leave the parser: no IP address, requester, user agent or any other
/// field of the record is stored or returned.
public enum S3AccessLogRecord: Hashable, Sendable {
    /// A GET of `instance-<id>.log` (or with `x-instance-id=<id>`) on a usage bucket, whatever its HTTP status.
    case ping(Ping)
    /// A well-formed record that is not a ping; counted, never an error.
    case skipped(SkipReason)
    /// A line that is not an S3 server access log record.
    case malformed(MalformedReason)

    /// Why a well-formed record is not a ping.
    public enum SkipReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// The bucket (or, without one, the Host header) is not `kubeflow-on-aws-usage-tracking-<region>`.
        case notAUsageBucket = "not_a_usage_bucket"
        /// A usage bucket, but the region in its name is not an AWS region code.
        case invalidRegion = "invalid_region"
        /// Another operation (PUT, HEAD, a bucket listing, an ACL read …) or a GET of another key.
        case notAGetOfAnInstanceObject = "not_a_get_of_an_instance_object"
        /// The key or `x-instance-id` names something that is not an EC2 instance ID.
        case invalidInstanceID = "invalid_instance_id"
        /// The `x-instance-id` query parameter names another instance than the key.
        case instanceIDMismatch = "instance_id_mismatch"

        public var description: String { rawValue }
    }

    /// Why a line is not an S3 server access log record.
    public enum MalformedReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Fewer than the 18 fields every record has (bucket owner … version ID): truncated or garbage.
        case tooFewFields = "too_few_fields"
        /// A `[` time or `"` quoted field that is never closed.
        case unterminatedField = "unterminated_field"
        /// The time is not `[dd/Mon/yyyy:HH:mm:ss ±hhmm]` with a real date and time.
        case invalidTime = "invalid_time"

        public var description: String { rawValue }
    }
}
