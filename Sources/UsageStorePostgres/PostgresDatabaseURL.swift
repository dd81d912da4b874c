import UsageStore
import Foundation
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// Query parameters, as libpq names them: `sslmode` (`disable`, `prefer` (the default), `require`,
/// `verify-ca`, `verify-full`), `sslrootcert` (a PEM file of the CAs to trust, such as Amazon
/// RDS's bundle), `connect_timeout` (seconds) and `application_name`. Unlike libpq, `require` and
/// `prefer` verify the server's certificate and host name too: TLS here is always verified.
public struct PostgresDatabaseURL: Sendable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public let host: String
    public let port: Int
    public let username: String
    public let password: String?
    public let database: String
    public let sslMode: SSLMode
    public let sslRootCertificate: String?
    public let connectTimeoutSeconds: Int
    public let applicationName: String

    static let example = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]"

    /// Parses `text`; throws a ``StoreError`` that names what is wrong (never the password).
    public init(_ text: String) throws {
        func invalid(_ reason: String) -> StoreError {
            StoreError("the database URL \(Self.redacted(text)) is not usable: \(reason); expected \(Self.example)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw invalid("it is not a well-formed URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user") }
        if let port = components.port, !(1...65535).contains(port) {
            throw invalid("the port must be between 1 and 65535")
        }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.contains("/") else { throw invalid("the path must be one database name") }
        // URLComponents keeps an IPv6 host in brackets; sockets want the bare address.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = user
        self.password = components.password
        self.database = path.isEmpty ? user : path

        var sslMode = SSLMode.prefer
        var rootCertificate: String?
        var timeout = 10
        var application = "usage-collector"
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")); got \(value)")
                }
                sslMode = mode
            case "sslrootcert":
                guard FileManager.default.isReadableFile(atPath: value) else {
                    throw invalid("sslrootcert \(value) is not a readable file")
                }
                rootCertificate = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else { throw invalid("connect_timeout must be a positive number of seconds") }
                timeout = seconds
            case "application_name":
                application = value
            default:
                throw invalid("unknown parameter \(item.name) (known: sslmode, sslrootcert, connect_timeout, application_name)")
            }
        }
        self.sslMode = sslMode
        self.sslRootCertificate = rootCertificate
        self.connectTimeoutSeconds = timeout
        self.applicationName = application
    }

    /// The same URL naming another database on the same server (for tests and tools that create
    /// databases), password included.
    public func naming(database name: String) throws -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.host = host.contains(":") ? "[\(host)]" : host
        components.port = port
        components.user = username
        components.password = password
        components.path = "/" + name
        var items = [
            URLQueryItem(name: "sslmode", value: sslMode.rawValue),
            URLQueryItem(name: "connect_timeout", value: String(connectTimeoutSeconds)),
            URLQueryItem(name: "application_name", value: applicationName),
        ]
        if let sslRootCertificate { items.append(URLQueryItem(name: "sslrootcert", value: sslRootCertificate)) }
        components.queryItems = items
        guard let text = components.string else { throw StoreError("cannot name database \(name) in a URL") }
        return text
    }

    /// `postgres://user:***@host:port/database`: for logs and messages.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(username)\(password == nil ? "" : ":***")@\(shownHost):\(port)/\(database)"
    }

    /// A database URL with its password replaced by `***`, for messages about a URL that may not parse.
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
              scheme.upperBound < at.lowerBound else { return text }
        let credentials = text[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return text.replacingCharacters(in: colon..<at.lowerBound, with: ":***")
    }

    // MARK: PostgresNIO configurations

    /// The TLS settings `sslMode` asks for, verifying against `sslrootcert` or the system's CAs.
    public func tlsConfiguration() throws -> TLSConfiguration? {
        guard sslMode != .disable else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = sslMode == .verifyCA ? .noHostnameVerification : .fullVerification
        if let sslRootCertificate {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(sslRootCertificate))
            } catch {
                throw StoreError("cannot read the CA certificates in sslrootcert \(sslRootCertificate): \(error)")
            }
        }
        return tls
    }

    /// The pool's configuration.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch (sslMode, try tlsConfiguration()) {
        case (.prefer, let tls?): .prefer(tls)
        case (_, let tls?): .require(tls)
        case (_, nil): .disable
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(connectTimeoutSeconds)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }

    /// The configuration of one connection (migrations, administration).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if let configuration = try tlsConfiguration() {
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: configuration)
            } catch {
                throw StoreError("cannot set up TLS for \(self): \(error)")
            }
            tls = sslMode == .prefer ? .prefer(context) : .require(context)
        } else {
            tls = .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(Int64(connectTimeoutSeconds))
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }
}
