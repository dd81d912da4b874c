import Crypto
import Foundation
import UsageTrackingCore

/// Replaces instance IDs by HMAC-SHA256(key, ID) before they are stored, so the raw ID never
/// reaches the disk; every report works the same on the hashes.
public struct Pseudonymizer: Sendable {
    /// The key's bytes (`SymmetricKey` is not `Sendable`).
    let keyBytes: Data

    /// A fingerprint of the key, stored in the database so a different key is refused.
    public let fingerprint: String

    public init(key: Data) throws {
        guard key.count >= 16 else {
            throw StoreError("the pseudonymisation key must have at least 16 bytes; it has \(key.count)")
        }
        self.keyBytes = key
        var hasher = SHA256()
        hasher.update(data: Data("usage-tracking pseudonymisation key fingerprint v1\n".utf8))
        hasher.update(data: key)
        self.fingerprint = "hmac-sha256:" + hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the key from a file (surrounding whitespace is not part of the key).
    public init(keyFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError("cannot read the pseudonymisation key file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try self.init(key: Data(text.utf8))
    }

    /// The 64 hex digits stored in place of `instanceID`.
    public func pseudonym(for instanceID: InstanceID) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(instanceID.rawValue.utf8), using: SymmetricKey(data: keyBytes))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}

extension Pseudonymizer {
    /// What a database records of how its IDs are stored: the key's fingerprint, or `none`.
    public static func setting(for pseudonymizer: Pseudonymizer?) -> String { pseudonymizer?.fingerprint ?? "none" }

    /// Refuses to open `database` (a path or a redacted URL) with a setting other than the one
    /// it `stored` at first use: plain IDs and pseudonyms, or pseudonyms of two keys, never mix.
    public static func check(stored: String, wanted: String, database: String) throws {
        guard stored != wanted else { return }
        switch (stored, wanted) {
        case ("none", _):
            throw StoreError("\(database) holds plain instance IDs; refusing to pseudonymise into it (use a new database)")
        case (_, "none"):
            throw StoreError("\(database) holds instance IDs pseudonymised with key \(stored); refusing to start without --pseudonymize-key-file")
        default:
            throw StoreError("\(database) holds instance IDs pseudonymised with key \(stored), but the key given is \(wanted); refusing to mix them")
        }
    }
}
