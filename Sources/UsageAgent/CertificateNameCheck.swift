import AsyncHTTPClient
import NIOCore
import NIOSSL

/// Checks that the certificate of a TLS connection to a host *name* names that host.
///
/// swift-nio-ssl's identity check (RFC 6125) accepts a certificate whose IP address SAN is the
/// address the connection reached: for `https://collector.example.com` that resolved to
/// 192.0.2.7, a certificate issued for just `IP:192.0.2.7` passes, so whoever can point the name
/// at an address they hold a certificate for gets the ping. When the URL names a host, this
/// check runs on the connection's certificate after swift-nio-ssl's own (chain and all) and
/// refuses it unless one of its DNS names matches the host (or, with no SAN at all, its common
/// name, which swift-nio-ssl already matched against the name). A URL with an IP address
/// literal keeps the IP check alone, as it should.
///
/// AsyncHTTPClient takes no verification callback, so the check is its connection initializer,
/// which sees the channel once TLS is up and before the request is written: a refused
/// certificate fails the connection, and the request with it, like any TLS failure.
enum CertificateNameCheck {
    /// Fills in `configuration`'s connection initializers for connections to `host`; nothing for
    /// an IP address.
    static func install(for host: String, in configuration: inout HTTPClient.Configuration) {
        guard !isIPAddress(host) else { return }
        let check: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.submit {
                // No TLS handler: a plain http:// connection, nothing to check.
                guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLHandler.self) else { return }
                guard let certificate = handler.peerCertificate else { throw CertificateNameMismatch(host: host, names: ["none"]) }
                try verify(certificate, host: host)
            }.flatMapError { error in
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        configuration.http1_1ConnectionDebugInitializer = check
        configuration.http2ConnectionDebugInitializer = check
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// Throws unless `certificate` has a DNS name matching `host`, or no SAN at all.
    static func verify(_ certificate: NIOSSLCertificate, host: String) throws(CertificateNameMismatch) {
        var names: [String] = []
        var matched = false
        for name in certificate._subjectAlternativeNames() {
            let bytes = name.contents.withUnsafeBufferPointer { Array($0) }
            switch name.nameType {
            case .dnsName:
                let dnsName = String(decoding: bytes, as: UTF8.self)
                names.append("DNS \(dnsName)")
                if matches(pattern: dnsName, host: host) { matched = true }
            case .ipAddress:
                var buffer = ByteBuffer()
                buffer.writeBytes(bytes)
                let address = (try? SocketAddress(packedIPAddress: buffer, port: 0))?.ipAddress ?? "?"
                names.append("IP \(address)")
            default:
                continue
            }
        }
        // No SAN: swift-nio-ssl matched the common name against the host, and nothing else.
        guard !matched, !names.isEmpty else { return }
        throw CertificateNameMismatch(host: host, names: names)
    }

    /// Whether the certificate name `pattern` (possibly with a wildcard in its first label, as
    /// RFC 6125 allows: `*.example.com`, `api*.example.com`) names `host`; ASCII, case-insensitive.
    static func matches(pattern: String, host: String) -> Bool {
        func labels(_ name: String) -> [Substring] {
            var name = Substring(name.lowercased())
            if name.hasSuffix(".") { name = name.dropLast() }
            return name.split(separator: ".", omittingEmptySubsequences: false)
        }
        let wanted = labels(pattern), given = labels(host)
        guard wanted.count == given.count, !given.contains(where: \.isEmpty),
              pattern.utf8.allSatisfy({ $0 < 0x80 }), host.utf8.allSatisfy({ $0 < 0x80 }) else { return false }
        guard wanted.dropFirst() == given.dropFirst() else { return false }
        let first = wanted[0], hostFirst = given[0]
        guard let star = first.firstIndex(of: "*") else { return first == hostFirst }
        // One wildcard, in the first label, not in an IDN label, with two labels after it.
        guard !wanted.dropFirst().contains(where: { $0.contains("*") }), first.filter({ $0 == "*" }).count == 1,
              !first.hasPrefix("xn--"), wanted.count >= 3 else { return false }
        let prefix = first[..<star], suffix = first[first.index(after: star)...]
        return hostFirst.count >= prefix.count + suffix.count && hostFirst.hasPrefix(prefix) && hostFirst.hasSuffix(suffix)
    }
}

/// The certificate is valid, but not for the host the URL names.
struct CertificateNameMismatch: Error, CustomStringConvertible {
    let host: String
    let names: [String]

    var description: String {
        "the certificate of \(host) names no DNS name matching it (its names: \(names.joined(separator: ", ")))"
    }
}
