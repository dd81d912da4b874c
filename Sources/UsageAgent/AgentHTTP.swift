import NIOSSL

/// The HTTP clients of one run: the metadata service's (never through a proxy).
struct AgentHTTP: Sendable {
    let metadata: EndpointClient
}

/// TLS that trusts the system's CAs plus the PEM bundle at `caFile`; verification stays on.
func clientTLS(extraCAFile caFile: String?) throws(AgentConfigurationError) -> TLSConfiguration {
    var tls = TLSConfiguration.makeClientConfiguration()
    if let caFile {
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw AgentConfigurationError("no certificate in \(caFile)") }
            tls.additionalTrustRoots = [.certificates(certificates)]
        } catch let error as AgentConfigurationError {
            throw error
        } catch {
            throw AgentConfigurationError("cannot read the CA bundle \(caFile): \(error)")
        }
    }
    return tls
}
