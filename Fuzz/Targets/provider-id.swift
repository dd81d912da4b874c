// libFuzzer target: ProviderID(parsing:), a Kubernetes node's spec.providerID.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = FuzzInput(data, size).text
    let parsed: ProviderID
    do {
        parsed = try ProviderID(parsing: raw)
    } catch {
        require(["invalid_provider_id", "invalid_instance_id", "invalid_zone"].contains(error.code) && !error.detail.isEmpty, "unexpected error \(error)")
        return 0
    }
    require(raw.hasPrefix("aws:///"), "accepted \(raw) without aws:///")
    let parts = raw.dropFirst("aws://".count).split(separator: "/", omittingEmptySubsequences: false)
    require(parts.count == 3 && parts[0].isEmpty, "accepted \(raw), which is not aws:///<zone>/<id>")
    switch parsed {
    case .fargate:
        require(parts[2].hasPrefix("fargate-"), "a Fargate node without a fargate- ID")
    case let .ec2(instanceID, region):
        require(String(parts[2]) == instanceID.rawValue, "the instance ID is not the last segment")
        require((try? InstanceID(validating: instanceID.rawValue)) == instanceID, "the instance ID does not re-validate")
        if let region {
            require((try? Region(zone: parts[1])) == region, "the region is not the zone's")
            require((try? Region(validating: region.code)) == region, "the region does not validate")
        } else {
            require(parts[1].isEmpty, "a zone that gave no region")
        }
        // Written back in the canonical form, it parses the same.
        let zone = String(parts[1])
        require((try? ProviderID(parsing: "aws:///\(zone)/\(instanceID.rawValue)")) == parsed, "the canonical form parses differently")
    }
    return 0
}
