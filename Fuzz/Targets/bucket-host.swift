// libFuzzer target: UsageBucket.region(fromHost:), the region named by an S3 bucket Host header.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let host = input.text
    let lowered = host.lowercased()

    let region: Region?
    do {
        region = try UsageBucket.region(fromHost: host)
    } catch {
        // Only a host of a usage bucket is ever an error; any other host is simply not ours.
        require(["invalid_region", "invalid_host"].contains(error.code) && !error.detail.isEmpty, "unexpected error \(error)")
        require(lowered.hasPrefix(UsageBucket.bucketPrefix), "a host that is not a usage bucket's is an error")
        return 0
    }
    guard let region else {
        require(!lowered.hasPrefix(UsageBucket.bucketPrefix), "a usage bucket's host names no region and no error")
        return 0
    }
    require((try? Region(validating: region.code)) == region, "the region \(region.code) does not validate")
    require(lowered.hasPrefix(UsageBucket.bucket(for: region) + "."), "the host does not start with the bucket of \(region.code)")
    // The same host with a port (when it has none) or in capitals names the same region.
    if !host.contains(":") {
        require((try? UsageBucket.region(fromHost: host + ":443")) == region, "a port changes the region")
    }
    require((try? UsageBucket.region(fromHost: host.uppercased())) == region, "capitals change the region")
    // The region's canonical endpoint names it too.
    require((try? UsageBucket.region(fromHost: UsageBucket.host(for: region))) == region, "the canonical endpoint does not name its region")
    return 0
}
