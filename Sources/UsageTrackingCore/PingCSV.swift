/// One line of a ping CSV: `time,instance_id,region` (RFC 3339 time; region may be empty).
public enum PingCSV {
    public static let header = "time,instance_id,region"

    /// Parses and validates a data line like a live ping.
    public static func ping(_ line: some StringProtocol) throws(InvalidInput) -> Ping {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3 else {
            throw InvalidInput(code: "invalid_csv", detail: "expected 3 fields (time,instance_id,region), found \(fields.count)")
        }
        let time = try RFC3339.milliseconds(fields[0])
        let instanceID = try InstanceID(validating: fields[1])
        let region = fields[2].isEmpty ? nil : try Region(validating: fields[2])
        return Ping(instanceID: instanceID, region: region, receivedAtMilliseconds: time)
    }
}
