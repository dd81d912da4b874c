import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization

/// One request a fake received.
public struct RecordedRequest: Sendable {
    public let method: String
    public let path: String
    public let headers: [String: String]
}

/// What a fake has received, in order; header names are lowercase.
public final class RequestLog: Sendable {
    let entries = Mutex<[RecordedRequest]>([])

    public init() {}

    public var all: [RecordedRequest] { entries.withLock { $0 } }

    public var count: Int { entries.withLock { $0.count } }

    func append(_ request: Request) {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        if let authority = request.head.authority { headers["host"] = authority }
        let entry = RecordedRequest(method: request.method.rawValue, path: request.uri.description, headers: headers)
        entries.withLock { $0.append(entry) }
    }
}

/// Records every request in `log` before the routes see it.
struct RecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: RequestLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        log.append(request)
        return try await next(request, context)
    }
}

/// A fake of a real service (the EC2 metadata service, the Kubernetes API server), speaking its
/// protocol over real HTTP or HTTPS on 127.0.0.1 with a port of its own.
public enum FakeServer {
    /// Serves `router` (after recording each request in `log`) while `body` runs, then stops.
    public static func run<T: Sendable>(
        log: RequestLog,
        tls: TLSConfiguration? = nil,
        routes: (Router<BasicRequestContext>) -> Void,
        _ body: (Int) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "fake-server")
        logger.logLevel = .warning
        let router = Router()
        router.add(middleware: RecordingMiddleware(log: log))
        routes(router)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw FakeServerError("the fake server did not start") }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(port))
            } catch {
                result = .failure(error)
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}

public struct FakeServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes the handshake) and
/// never answers: a metadata service that hangs.
public final class SilentListener: Sendable {
    public let port: Int
    let descriptor: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FakeServerError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            _ = Glibc.close(fd)
            throw FakeServerError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    public func close() {
        _ = Glibc.close(descriptor)
    }
}

/// A self-signed certificate for 127.0.0.1, made with the openssl command.
public struct SelfSignedCertificate: Sendable {
    public let certificatePath: String
    public let keyPath: String

    public init(in directory: TemporaryDirectory) throws {
        certificatePath = directory.path("cert.pem")
        keyPath = directory.path("key.pem")
        let result = try ProcessRunner.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyPath, "-out", certificatePath],
            timeout: 60
        )
        guard result.exitCode == 0 else { throw FakeServerError("openssl failed: \(result.standardError)") }
    }

    /// A server TLS configuration presenting this certificate.
    public func serverTLS() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        )
    }
}

/// A bare TCP client for what an HTTP client library will not do: send half a request, or
/// headers a byte at a time.
public final class RawTCPClient {
    let descriptor: Int32

    public init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FakeServerError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            _ = Glibc.close(fd)
            throw FakeServerError("connect() failed")
        }
        descriptor = fd
    }

    deinit { _ = Glibc.close(descriptor) }

    public func send(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Waits up to `seconds` for the server to close the connection; true when it did.
    public func waitForClose(seconds: Double) -> Bool {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return true }  // orderly close
            if count < 0 { return errno == ECONNRESET }  // timed out (EAGAIN) or reset
        }
    }
}
