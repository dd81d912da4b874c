/// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` as curl reads them; used only for the collector.
public struct ProxySettings: Sendable, Hashable {
    public struct Server: Sendable, Hashable {
        public let host: String
        public let port: Int
        /// `user:password` from the proxy URL, if any.
        public let credentials: String?
    }

    public var https: Server?
    public var http: Server?
    public var noProxy: [String] = []

    public init() {}

    public init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            let text = environment[name.lowercased()] ?? environment[name]
            guard let text, !text.isEmpty else { return nil }
            return text
        }
        https = value("HTTPS_PROXY").flatMap(Self.parse)
        http = value("HTTP_PROXY").flatMap(Self.parse)
        noProxy = (value("NO_PROXY") ?? "").split(separator: ",").map { $0.trimmingWhitespace.lowercased() }.filter { !$0.isEmpty }
    }

    /// The proxy to use for a request to `host` over `scheme`, or `nil` to connect directly.
    public func server(scheme: String, host: String) -> Server? {
        let host = host.lowercased()
        for entry in noProxy {
            if entry == "*" { return nil }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if host == domain || host.hasSuffix("." + domain) { return nil }
        }
        return scheme == "https" ? https : http
    }

    /// Parses `http://[user:pass@]host[:port][/]`; a bare `host:port` is accepted too.
    static func parse(_ text: String) -> Server? {
        var rest = Substring(text)
        if let schemeEnd = rest.firstRange(of: "://") { rest = rest[schemeEnd.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var credentials: String? = nil
        if let at = rest.lastIndex(of: "@") {
            credentials = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        var host = rest
        var port = 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":"), let number = Int(after.dropFirst()) { port = number }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = number
        }
        guard !host.isEmpty else { return nil }
        return Server(host: String(host), port: port, credentials: credentials)
    }
}
