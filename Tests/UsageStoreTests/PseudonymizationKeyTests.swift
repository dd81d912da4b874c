import Foundation
import GRDB
import Logging
import TestSupport
import Testing
import UsageStore
import UsageStoreSQLite
import UsageTrackingCore

/// The key file as the collector reads it: a binary key keeps every byte, a text key keeps the
/// fingerprint earlier releases gave it, a weak key makes no new database, a file others can
/// read is named, and a database an earlier release wrote with a damaged key says the way out.
@Suite struct PseudonymizationKeyTests {
    static let logger = Logger(label: "test")

    /// 32 bytes none of which starts valid UTF-8 (0x80–0xBF are continuation bytes alone).
    static func binaryKey(_ seed: UInt8) -> Data {
        let bytes: [UInt8] = (0..<32).map { (index: Int) -> UInt8 in
            let offset: Int = (Int(seed) * 7 + index * 13) % 64
            return UInt8(0x80 + offset)
        }
        return Data(bytes)
    }

    static func write(_ data: Data, to path: String, mode: Int = 0o600) throws {
        try data.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test func twoBinaryKeysAreTwoKeys() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.write(Self.binaryKey(1), to: directory.path("a.key"))
        try Self.write(Self.binaryKey(2) + Data("\n".utf8), to: directory.path("b.key"))
        let a = try Pseudonymizer(keyFile: directory.path("a.key"))
        let b = try Pseudonymizer(keyFile: directory.path("b.key"))
        #expect(a.fingerprint != b.fingerprint, "read as text, both were 32 U+FFFD")
        #expect(a.pseudonym(for: Sample.id(1)) != b.pseudonym(for: Sample.id(1)))
        #expect(b.fingerprint == (try Pseudonymizer(key: Self.binaryKey(2))).fingerprint, "the final newline is not part of the key")
        #expect(a.bits == 256)

        let path = directory.path("usage.sqlite")
        _ = try SQLiteUsageStore(path: path, pseudonymizer: a, logger: Self.logger)
        #expect(throws: StoreError.self) { _ = try SQLiteUsageStore(path: path, pseudonymizer: b, logger: Self.logger) }
    }

    @Test func aTextKeyKeepsTheFingerprintEarlierReleasesGaveIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.write(Data("  7f3c9a0e5b1d2f4a6c8e0b2d4f6a8c0e  \n\n".utf8), to: directory.path("hex.key"))
        let key = try Pseudonymizer(keyFile: directory.path("hex.key"))
        // Earlier releases: the text, without the whitespace around it.
        #expect(key.fingerprint == (try Pseudonymizer(key: Data("7f3c9a0e5b1d2f4a6c8e0b2d4f6a8c0e".utf8))).fingerprint)
        #expect(key.bits == 128)
    }

    @Test(arguments: [
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0),  // one symbol
        ("correct-horse-battery", 126),  // base64's alphabet: 21 × 6
        ("0123456789abcdef0123456789abcd", 120),  // 30 hex digits
    ])
    func aWeakKeyMakesNoNewDatabase(_ text: String, _ bits: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try Pseudonymizer(key: Data(text.utf8))
        #expect(key.bits == bits)
        let path = directory.path("usage.sqlite")
        #expect { _ = try SQLiteUsageStore(path: path, pseudonymizer: key, logger: Self.logger) } throws: { "\($0)".contains("fewer than 128") }
        // Nothing recorded: the same key is refused again, and a strong one is taken.
        #expect(throws: StoreError.self) { _ = try SQLiteUsageStore(path: path, pseudonymizer: key, logger: Self.logger) }
        _ = try SQLiteUsageStore(path: path, pseudonymizer: try Pseudonymizer(key: Self.binaryKey(3)), logger: Self.logger)
    }

    /// A database already written with a weak key (by an earlier release) keeps working with it.
    @Test func aDatabaseWrittenWithAWeakKeyKeepsIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("usage.sqlite")
        let weak = try Pseudonymizer(key: Data("correct-horse-battery".utf8))
        _ = try SQLiteUsageStore(path: path, logger: Self.logger)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE settings SET value = ? WHERE name = 'pseudonymization'", arguments: [weak.fingerprint])
        }
        let store = try SQLiteUsageStore(path: path, pseudonymizer: weak, logger: Self.logger)
        _ = try await store.record(Sample.ping(1))
        #expect(try await store.instanceRecord(Sample.id(1)) != nil)
    }

    @Test func aKeyFileOthersCanReadIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.write(Self.binaryKey(4), to: directory.path("open.key"), mode: 0o644)
        try Self.write(Self.binaryKey(4), to: directory.path("closed.key"), mode: 0o600)
        #expect(try Pseudonymizer(keyFile: directory.path("open.key")).warnings.first?.contains("chmod 600") == true)
        #expect(try Pseudonymizer(keyFile: directory.path("closed.key")).warnings.isEmpty)
    }

    /// An earlier release read a binary key as text (each invalid byte U+FFFD): its database
    /// is refused with the way out, and the way out, run as written, opens it.
    @Test func aDatabaseWrittenWithTheDamagedKeySaysTheWayOut() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyFile = directory.path("binary.key")
        var key = Data("id-key-".utf8) + Self.binaryKey(5)
        key += Data("-tail-of-ascii-bytes".utf8)
        try Self.write(key, to: keyFile)
        // What the earlier release stored and hashed with: the text decoding, trimmed.
        let damaged = try Pseudonymizer(key: Data(String(decoding: key, as: UTF8.self).utf8))
        let path = directory.path("usage.sqlite")
        let old = try SQLiteUsageStore(path: path, pseudonymizer: damaged, logger: Self.logger)
        _ = try await old.record(Sample.ping(1))
        try await old.foldJournal()

        let given = try Pseudonymizer(keyFile: keyFile)
        #expect(given.damagedFingerprint == damaged.fingerprint)
        #expect { _ = try SQLiteUsageStore(path: path, pseudonymizer: given, logger: Self.logger) } throws: { "\($0)".contains("damaged form of this key") }
        let wayOut = directory.path("damaged.key")
        let python = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", "import sys; sys.stdout.write(open(sys.argv[1], \"rb\").read().decode(\"utf-8\", \"replace\").strip())", keyFile], timeout: 30)
        #expect(python.exitCode == 0)
        try Self.write(Data(python.standardOutput.utf8), to: wayOut)
        let reopened = try SQLiteUsageStore(path: path, pseudonymizer: try Pseudonymizer(keyFile: wayOut), logger: Self.logger)
        #expect(try await reopened.instanceRecord(Sample.id(1)) != nil, "the damaged form gives the same pseudonyms")
    }
}
