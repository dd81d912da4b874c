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

    /// The most entropy, in bits, a key of its form holds: its length times the bits of each
    /// symbol of its alphabet (hex digits 4, base64 6, other text log2(95), bytes 8), or 0 when it
    /// repeats fewer than 8 distinct symbols.
    public let bits: Int

    /// The fingerprint of the damaged form of the key that releases before this one used, when a
    /// key file is not UTF-8 text (each invalid byte read as U+FFFD): a database written with it
    /// is recognised, and refused with the way out.
    public let damagedFingerprint: String?

    /// Things about the key file the operator should hear (a file others can read).
    public let warnings: [String]

    /// The least entropy a key for a new database must have.
    public static let minimumBits = 128

    public init(key: Data) throws {
        try self.init(key: key, damagedFingerprint: nil, warnings: [])
    }

    init(key: Data, damagedFingerprint: String?, warnings: [String]) throws {
        guard key.count >= 16 else {
            throw StoreError("the pseudonymisation key must have at least 16 bytes; it has \(key.count)")
        }
        self.keyBytes = key
        self.fingerprint = Self.fingerprint(of: key)
        self.bits = Self.bits(of: Array(key))
        self.damagedFingerprint = damagedFingerprint
        self.warnings = warnings
    }

    /// Reads the key from a file. A UTF-8 text file is its text without the whitespace around it,
    /// as releases before this one read it (so their databases keep their fingerprint); any other
    /// file is its bytes without a final newline (`head -c 32 /dev/urandom > key` keeps all 256 bits).
    public init(keyFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError("cannot read the pseudonymisation key file \(path)")
        }
        var warnings: [String] = []
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            warnings.append("the pseudonymisation key file \(path) can be read by others (mode \(String(mode & 0o777, radix: 8))); make it readable by the collector only: chmod 600 \(path)")
        }
        if let text = String(validating: data, as: UTF8.self) {
            try self.init(key: Data(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8), damagedFingerprint: nil, warnings: warnings)
        } else {
            var bytes = data
            if bytes.last == 0x0A { bytes.removeLast() }
            if bytes.last == 0x0D { bytes.removeLast() }
            let damaged = Data(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            try self.init(key: bytes, damagedFingerprint: Self.fingerprint(of: damaged), warnings: warnings)
        }
    }

    static func fingerprint(of key: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("usage-tracking pseudonymisation key fingerprint v1\n".utf8))
        hasher.update(data: key)
        return "hmac-sha256:" + hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// See ``bits``.
    static func bits(of key: [UInt8]) -> Int {
        guard Set(key).count >= 8 else { return 0 }
        func all(_ allowed: (UInt8) -> Bool) -> Bool { key.allSatisfy(allowed) }
        let isHex = all { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
        let isBase64 = all { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || [0x2B, 0x2F, 0x3D, 0x2D, 0x5F].contains($0) }
        let isText = all { $0 >= 0x20 && $0 < 0x7F }
        let perSymbol: Double = isHex ? 4 : isBase64 ? 6 : isText ? log2(95.0) : 8
        return Int(Double(key.count) * perSymbol)
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
    /// it `stored` at first use (`nil`: none yet, the database is new): plain IDs and pseudonyms,
    /// or pseudonyms of two keys, never mix; and a new database takes no key weaker than
    /// ``minimumBits``. A database already written with a weak key keeps working with it.
    public static func check(stored: String?, pseudonymizer: Pseudonymizer?, database: String) throws {
        let wanted = setting(for: pseudonymizer)
        guard let stored else {
            if let pseudonymizer, pseudonymizer.bits < minimumBits {
                throw StoreError(
                    "the pseudonymisation key holds at most \(pseudonymizer.bits) bits, fewer than \(minimumBits); refusing to pseudonymise a new database with it: make a key with `openssl rand -hex 32 > FILE` (or `head -c 32 /dev/urandom > FILE`)"
                )
            }
            return
        }
        guard stored != wanted else { return }
        switch (stored, wanted) {
        case ("none", _):
            throw StoreError("\(database) holds plain instance IDs; refusing to pseudonymise into it (use a new database)")
        case (_, "none"):
            throw StoreError("\(database) holds instance IDs pseudonymised with key \(stored); refusing to start without --pseudonymize-key-file")
        case (pseudonymizer?.damagedFingerprint, _):
            throw StoreError(
                "\(database) was written by an earlier release with a damaged form of this key (its bytes that are not UTF-8 read as U+FFFD, so it kept little more than its ASCII bytes); its pseudonyms are of that form. Start a new database with this key, or keep this one by giving the damaged form explicitly: python3 -c 'import sys; sys.stdout.write(open(sys.argv[1], \"rb\").read().decode(\"utf-8\", \"replace\").strip())' KEYFILE > DAMAGED-KEYFILE"
            )
        default:
            throw StoreError("\(database) holds instance IDs pseudonymised with key \(stored), but the key given is \(wanted); refusing to mix them")
        }
    }
}
