import Foundation

extension SelfSignedCertificate {
    /// A self-signed certificate whose subject alternative names are exactly `subjectAltName`
    /// (openssl's syntax: `IP:127.0.0.1`, `DNS:localhost`, comma-separated), in files named after
    /// `name`, so that one folder can hold several.
    public init(in directory: TemporaryDirectory, name: String, subjectAltName: String) throws {
        certificatePath = directory.path("\(name)-cert.pem")
        keyPath = directory.path("\(name)-key.pem")
        let result = try ProcessRunner.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=\(name)",
             "-addext", "subjectAltName=\(subjectAltName)", "-keyout", keyPath, "-out", certificatePath],
            timeout: 60
        )
        guard result.exitCode == 0 else { throw FakeServerError("openssl failed: \(result.standardError)") }
    }
}
