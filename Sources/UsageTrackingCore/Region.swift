/// An AWS region code such as `us-west-2`.
///
/// Every code that matches one of the AWS partitions' patterns is accepted, so a region launched
/// after this was written is not lost; `isCataloged` says whether it is one of today's regions.
public struct Region: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The AWS partition a region belongs to.
    public enum Partition: String, Sendable, CaseIterable {
        case aws
        case awsCN = "aws-cn"
        case awsUSGov = "aws-us-gov"
        case awsEUSC = "aws-eusc"

        /// The DNS suffix of the partition's S3 endpoints.
        public var dnsSuffix: String {
            switch self {
            case .awsCN: "amazonaws.com.cn"
            case .aws, .awsUSGov: "amazonaws.com"
            case .awsEUSC: "amazonaws.eu"
            }
        }
    }

    /// The region code, e.g. `us-west-2`.
    public let code: String
    /// The partition whose pattern the code matches.
    public let partition: Partition

    /// The longest region code accepted: today's longest are 14 characters (`ap-southeast-7`,
    /// `eusc-de-east-1`); a code is stored with every ping, so its size is bounded.
    public static let maximumLength = 20
    /// The longest zone name accepted (`us-east-1-wl1-bos-wlz-1` is 23).
    public static let maximumZoneLength = 40

    /// Validates `raw` as a region code (not a zone name); nothing is trimmed.
    public init(validating raw: some StringProtocol) throws(InvalidInput) {
        guard raw.utf8.count <= Self.maximumLength else { throw .invalidRegion(raw) }
        let segments = raw.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard let partition = Self.partition(of: segments) else { throw .invalidRegion(raw) }
        self.code = String(raw)
        self.partition = partition
    }

    /// The region of an availability zone, Local Zone or Wavelength Zone name:
    /// `us-west-2a`, `us-west-2-lax-1a` and `us-east-1-wl1-bos-wlz-1` give `us-west-2`, `us-west-2`
    /// and `us-east-1`. A region code itself is not a zone name and is refused.
    public init(zone raw: some StringProtocol) throws(InvalidInput) {
        guard raw.utf8.count <= Self.maximumZoneLength else { throw .invalidZone(raw) }
        let segments = Array(raw.utf8).split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        // A region is 3 segments (4 for GovCloud and the European Sovereign Cloud); a zone name
        // is its region with an AZ letter glued to the number, or with more segments after it.
        for regionLength in [3, 4] where segments.count >= regionLength {
            var regionSegments = Array(segments[0..<regionLength])
            let number = regionSegments[regionLength - 1]
            if segments.count == regionLength {
                // Availability zone: digits then exactly one lowercase letter, e.g. "2a".
                guard number.count >= 2, let letter = number.last, Self.isLowercaseLetter(letter) else { continue }
                regionSegments[regionLength - 1] = number.dropLast()
            } else {
                // Local or Wavelength Zone: the region, then at least one more non-empty segment.
                guard segments[regionLength...].allSatisfy({ Self.isZoneSuffixSegment($0) }) else { continue }
            }
            if let partition = Self.partition(of: regionSegments) {
                self.code = regionSegments.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "-")
                self.partition = partition
                return
            }
        }
        throw .invalidZone(raw)
    }

    /// Whether the region is in today's catalog of AWS regions.
    public var isCataloged: Bool { Self.catalog.contains(code) }

    public var description: String { code }

    public static func < (lhs: Region, rhs: Region) -> Bool { lhs.code < rhs.code }

    // MARK: Patterns

    static let commercialPrefixes: Set<String> = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"]

    /// Matches the partitions' patterns, with AWS's short segments (a word of at most 10 letters,
    /// a number of at most 2 digits):
    /// commercial `^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]{1,10}-\d{1,2}$`, China `^cn-[a-z]{1,10}-\d{1,2}$`,
    /// GovCloud `^us-gov-[a-z]{1,10}-\d{1,2}$`, European Sovereign Cloud `^eusc-[a-z]{1,10}-[a-z]{1,10}-\d{1,2}$`.
    static func partition<Segment: Collection<UInt8>>(of segments: [Segment]) -> Partition? {
        guard let last = segments.last, isDigits(last), last.count <= 2 else { return nil }
        let words = segments.dropLast()
        guard words.allSatisfy({ isLetters($0) && $0.count <= 10 }) else { return nil }
        let first = String(decoding: segments[0], as: UTF8.self)
        switch segments.count {
        case 3 where first == "cn":
            return .awsCN
        case 3 where commercialPrefixes.contains(first):
            return .aws
        case 4 where first == "us" && String(decoding: segments[1], as: UTF8.self) == "gov":
            return .awsUSGov
        case 4 where first == "eusc":
            return .awsEUSC
        default:
            return nil
        }
    }

    static func isLowercaseLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
    }

    static func isLetters(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isLowercaseLetter)
    }

    static func isDigits(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func isZoneSuffixSegment(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { isLowercaseLetter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    // MARK: Catalog

    /// Today's regions: 34 commercial, 2 in China, 2 in GovCloud.
    public static let catalog: Set<String> = [
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1",
        "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "cn-north-1", "cn-northwest-1",
        "us-gov-east-1", "us-gov-west-1",
    ]
}
