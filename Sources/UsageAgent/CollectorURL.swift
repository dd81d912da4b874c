import UsageTrackingCore

/// The collector URL as the agent logs and prints it: without its user-info.
///
/// `https://user:secret@host/` names credentials, but the agent sends none: AsyncHTTPClient
/// builds the request from the URL's host and path only, and the agent adds no `Authorization`
/// (it sends its two fields and nothing else). So the user-info is dropped from the URL when the
/// configuration is read, rather than masked (`user:***@`): a user name can be a token too, and
/// the request `--dry-run` prints and the logs show stays exactly the request that is sent.
enum CollectorURL {
    /// `url` without its user-info (`scheme://user:password@host…` → `scheme://host…`), and
    /// whether it had one.
    static func removingUserInfo(_ url: String) -> (url: String, removed: Bool) {
        let authorityStart = url.firstRange(of: "://")?.upperBound ?? url.startIndex
        let authorityEnd = url[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.endIndex
        guard let at = url[authorityStart..<authorityEnd].lastIndex(of: "@") else { return (url, false) }
        return (String(url[..<authorityStart]) + url[url.index(after: at)...], true)
    }

    /// `url` for an error message: without its user-info, or not shown at all when it still holds
    /// an `@` (too malformed to tell where a password would end).
    static func quotedForMessage(_ url: String) -> String {
        let shown = removingUserInfo(url).url
        return shown.contains("@") ? "a URL with an \"@\" (not shown: it may hold a password)" : InvalidInput.quoted(shown)
    }

    /// The scheme and host of `url`, for proxy decisions and the certificate check.
    static func schemeAndHost(_ url: String) -> (scheme: String, host: String) {
        let scheme = url.hasPrefix("https://") ? "https" : "http"
        var rest = url.dropFirst(scheme.count + 3)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return (scheme, String(rest[rest.index(after: rest.startIndex)..<close]))
        }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return (scheme, String(rest))
    }
}
