import Crypto
import Foundation
import Testing
@testable import UsageStorePostgres
@testable import UsageStoreSQLite

/// The migrations are files, `Sources/<driver>/Migrations/<id>.sql`, each registered once and in
/// order, and a shipped one never changes (a database migrated by it would not be the schema the
/// file says).
@Suite struct MigrationFilesTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// The SHA-256 of each shipped migration file. A new migration adds its line once it ships.
    static let shipped: [String: String] = [
        "UsageStoreSQLite/Migrations/2026-11-29-001-instance-days.sql": "a0983e1f2e4c3be1eb00e8e6330179e888ea83a3e73b41639dac076b533a55fa",
        "UsageStoreSQLite/Migrations/2026-11-29-002-settings.sql": "c1a9a7f591d5684022da4ce12a76927cf445b707fca61c870159994f3aaa968f",
        "UsageStoreSQLite/Migrations/2026-11-29-003-report-rollups.sql": "0104a9bae3b50e698d9db274ac4d216733e31c1de2724b98f576633883574f02",
        "UsageStoreSQLite/Migrations/2026-11-29-004-batched-rollups.sql": "33ed8411b288d6068c88d2e49d1de59e92f650daf44f6da93c04f3515a0f6159",
        "UsageStoreSQLite/Migrations/2026-12-03-005-weeks-before-1970.sql": "43d767593a86174782e5aab9af494181e1932c34b7b4bd6b77c389386e88818f",
        "UsageStoreSQLite/Migrations/2026-12-04-006-days-seen.sql": "9ddccc1538d8d12b7974e0ea74ea6c30f2d517fe31bccc315254ee203b0aabf0",
        "UsageStoreSQLite/Migrations/2026-12-04-007-rollups-written-by-the-fold.sql": "836c10e717cf39571d1c5cbdb37aa1b7d7e58656cbb64d737c2da974b13dfecc",
        "UsageStoreSQLite/Migrations/2026-12-07-008-import-manifest.sql": "a018224c7a30d9b7e21591db4ef30bf908e8fc7da26aee3fdc4bd420966af7d6",
        "UsageStorePostgres/Migrations/2026-11-30-001-instance-days.sql": "bc1706b9e6fd174b250c8e0631ebabe2bd75d67f956d8f8da937fd897477b64e",
        "UsageStorePostgres/Migrations/2026-11-30-002-settings.sql": "3529b8cc6a1f4a449affdf5c5215d8b2056169330b3b3a6bab34b19d4306eff7",
        "UsageStorePostgres/Migrations/2026-11-30-003-report-rollups.sql": "699cde43cee6a8919d28abc5fc8add71f8d4f21ac26988f39c03030afd99d760",
        "UsageStorePostgres/Migrations/2026-11-30-004-write-functions.sql": "9ea4e9d1cf44bbb0dae4a84625c458d4e3b0a62f3c1e583906fccf33e617c60b",
        "UsageStorePostgres/Migrations/2026-12-03-005-ping-journal.sql": "57284fed05e40e1b82428b96f0371fee8f80e59458fae4ed57560f095ad99262",
        "UsageStorePostgres/Migrations/2026-12-04-006-days-seen.sql": "cbaa76bba3722e5f0aa92c8966db1cf51df459257ca2defa87872a70943a5d94",
        "UsageStorePostgres/Migrations/2026-12-04-007-rollups-written-by-the-fold.sql": "d8eca1f68c73134e98f56c4ab10ce9ec0532f5d2a59785757ed90d102e7d03bc",
        "UsageStorePostgres/Migrations/2026-12-07-008-import-manifest.sql": "5c3c7b73b9f7926b7973632b753988b48f317ea56a9c7599660a5391c1d1998b",
    ]

    static func files(_ driver: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: sources.appendingPathComponent("\(driver)/Migrations").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
    }

    @Test func everyFileIsRegisteredOnceInOrder() throws {
        #expect(try Self.files("UsageStoreSQLite") == SQLiteMigrations.all.map { "\($0.id).sql" })
        #expect(try Self.files("UsageStorePostgres") == PostgresMigrations.all.map { "\($0.id).sql" })
    }

    @Test func noShippedMigrationChanged() throws {
        for (path, digest) in Self.shipped {
            let data = try Data(contentsOf: Self.sources.appendingPathComponent(path))
            #expect(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == digest, "\(path) changed after it shipped: add a migration instead")
        }
    }

    @Test func postgresMigrationsSplitIntoTheirStatements() {
        #expect(PostgresMigrations.all.map(\.statements.count) == [4, 1, 9, 6, 4, 6, 17, 2])
        #expect(PostgresMigrations.all.allSatisfy { $0.statements.allSatisfy { !$0.hasSuffix(";") } })
    }

    @Test func aStatementEndsAtASemicolonOutsideQuotesBodiesAndComments() {
        let script = """
            -- a header; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y' , "b;c" int);
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS $body$ SELECT $1; $body$;
            SELECT 'it''s;'
            """
        #expect(SQLStatements.split(script) == [
            "-- a header; with a semicolon\nCREATE TABLE t (a text DEFAULT 'x;y' , \"b;c\" int)",
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
            "CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS $body$ SELECT $1; $body$",
            "SELECT 'it''s;'",
        ])
        #expect(SQLStatements.split("-- only a comment\n\n") == [])
    }
}
