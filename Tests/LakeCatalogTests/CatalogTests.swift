import Foundation
import GRDB
@testable import LakeCatalog
import LakeCore
import LakeStore
import LakeTestSupport
import Testing

@Suite struct CatalogTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// catalog/migrations/*.sql is the source of truth; the binary carries a generated copy.
    @Test func generatedSQLIsNotStale() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.packageRoot + "/catalog/generate-swift.sh", "--stdout"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let fresh = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let committed = try Data(contentsOf: URL(fileURLWithPath: Self.packageRoot + "/Sources/LakeCatalog/Generated/CatalogSQL.swift"))
        #expect(fresh == committed, "run catalog/generate-swift.sh: the generated Swift differs from catalog/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.packageRoot + "/catalog/migrations").filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == Catalog.migrationIdentifiers)
    }

    @Test func aCatalogWithAnUnknownMigrationIsRefused() throws {
        let dir = TempDirectory()
        let path = dir.at("catalog.sqlite")
        _ = try Catalog(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')") }
        do {
            _ = try Catalog(path: path)
            Issue.record("a newer catalog was opened")
        } catch let error as CatalogError {
            #expect("\(error)".contains("newer schema"))
            #expect("\(error)".contains("9999_from_the_future"))
        }
    }

    @Test func sqliteEnforcesTheSchema() throws {
        let dir = TempDirectory()
        let catalog = try Catalog(path: dir.at("catalog.sqlite"))
        #expect(throws: CatalogError.self) {
            try catalog.write { try $0.execute(sql: "INSERT INTO datasets (name, kind, created_at) VALUES ('x', 'table', 'now')") }
        }
        #expect(throws: CatalogError.self) {
            try catalog.write { try $0.execute(sql: "INSERT INTO refs (name, snapshot_id, updated_at) VALUES ('r', 'sha256:' || printf('%064d', 0), 'now')") }
        }
        let mode = try catalog.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    func manifest(_ text: String) throws -> Manifest {
        try Manifest(entries: [ManifestEntry(path: "f.csv", mode: ManifestEntry.regular, size: UInt64(text.utf8.count),
                                             object: SHA256Hasher.hash(Array(text.utf8)))])
    }

    @Test func versionsNumberUpAndEqualContentMakesNone() throws {
        let dir = TempDirectory()
        let catalog = try Catalog(path: dir.at("catalog.sqlite"))
        let name = try DatasetName("runs/passX")
        func commit(_ m: Manifest, kind: Kind? = nil) throws -> CommitRecord {
            try catalog.recordCommit(dataset: name, kind: kind, manifest: m, rows: ["f.csv": 1], message: nil, sourcePath: "/src")
        }
        let one = try commit(manifest("a"), kind: .run)
        let same = try commit(manifest("a"))
        let two = try commit(manifest("b"))
        #expect((one.version, one.created) == (1, true))
        #expect((same.version, same.created) == (1, false))
        #expect((two.version, two.created, two.kind) == (2, true, "run"))
        #expect(throws: CatalogError.self) { try commit(manifest("c"), kind: .ledger) }
        #expect(try catalog.versions(of: name).map(\.rows) == [1, 1])
    }

    @Test func refMovesAreLoggedAndCompareAndSwapped() throws {
        let dir = TempDirectory()
        let catalog = try Catalog(path: dir.at("catalog.sqlite"))
        let name = try DatasetName("d")
        var ids = [SnapshotID]()
        for text in ["a", "b"] {
            let m = try manifest(text)
            _ = try catalog.recordCommit(dataset: name, kind: nil, manifest: m, rows: [:], message: nil, sourcePath: "/s")
            ids.append(m.id)
        }
        let ref = try RefName("field/_current/MERGED")
        let first = try catalog.moveRef(ref, to: ids[0], expect: .absent, action: "promote", actor: "me@host", message: "first")
        #expect(first?.move == 1 && first?.from == nil)
        #expect(throws: CatalogError.self) { try catalog.moveRef(ref, to: ids[1], expect: .absent, action: "promote", actor: "x", message: nil) }
        #expect(try catalog.moveRef(ref, to: ids[0], expect: nil, action: "promote", actor: "x", message: nil) == nil, "no move, no log row")
        _ = try catalog.moveRef(ref, to: ids[1], expect: .at(ids[0]), action: "promote", actor: "me@host", message: nil)
        #expect(try catalog.refTarget(ref, movesAgo: 0) == ids[1])
        #expect(try catalog.refTarget(ref, movesAgo: 1) == ids[0])
        #expect(throws: CatalogError.self) { try catalog.refTarget(ref, movesAgo: 2) }
        let back = try catalog.rollbackRef(ref, actor: "me@host", message: "bad merge")
        #expect(back.action == "rollback" && back.to == ids[0].description)
        #expect(try catalog.refLog(ref).count == 3)
    }
}
