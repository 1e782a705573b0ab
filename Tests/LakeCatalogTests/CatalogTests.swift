import Foundation
import GRDB
@testable import LakeCatalog
import LakeCore
import LakeStore
import LakeTestSupport
import Testing

@Suite struct CatalogTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// catalog/migrations/*.sql and retention/default.yaml are the source of truth; the binary
    /// carries generated copies, which must not be stale.
    @Test func generatedSourcesAreNotStale() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.packageRoot + "/scripts/generate-embedded.sh", "--check"]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(message)")
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.packageRoot + "/catalog/migrations").filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == Catalog.migrationIdentifiers)
    }

    /// A lake directory with a store and a catalog.
    func makeCatalog(_ dir: TempDirectory) throws -> Catalog {
        try ObjectStore.create(at: dir.path)
        return try Catalog(lakeDirectory: dir.path, store: ObjectStore(root: dir.path))
    }

    @Test func aCatalogWithAnUnknownMigrationIsRefused() throws {
        let dir = TempDirectory()
        let path = dir.at("catalog.sqlite")
        _ = try makeCatalog(dir)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')") }
        do {
            _ = try makeCatalog(dir)
            Issue.record("a newer catalog was opened")
        } catch let error as CatalogError {
            #expect("\(error)".contains("newer schema"))
            #expect("\(error)".contains("9999_from_the_future"))
        }
    }

    @Test func sqliteEnforcesTheSchema() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        #expect(throws: CatalogError.self) {
            try catalog.write { try $0.execute(sql: "INSERT INTO datasets (name, kind, created_at) VALUES ('x', 'table', 'now')") }
        }
        #expect(throws: CatalogError.self) {
            try catalog.write { try $0.execute(sql: "INSERT INTO refs (name, snapshot_id, updated_at) VALUES ('r', 'sha256:' || printf('%064d', 0), 'now')") }
        }
        let mode = try catalog.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let synchronous = try catalog.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(synchronous == 1, "NORMAL: the synced journal, not the WAL, makes a commit durable")
    }

    /// The catalog sets up WAL itself: a catalog found without its -wal file (a rebuilt one,
    /// or one copied without it) gets a WAL with a frame at the next open, which read-only
    /// readers need; a catalog with its WAL is opened without a write.
    @Test func aCatalogFoundWithoutItsWALGetsOneAtTheNextOpen() throws {
        let dir = TempDirectory()
        let wal = dir.at("catalog.sqlite-wal")
        func walSize() -> Int? { FileIO.lstat(wal).map { Int($0.st_size) } }
        do { _ = try makeCatalog(dir) }
        let kept = try #require(walSize(), "the WAL persists after the last connection closes")
        #expect(kept > 0)
        do { _ = try Catalog(lakeDirectory: dir.path, store: ObjectStore(root: dir.path)) }
        #expect(walSize() == kept, "an open with the WAL in place wrote nothing")
        #expect(unlink(wal) == 0)
        do { _ = try Catalog(lakeDirectory: dir.path, store: ObjectStore(root: dir.path)) }
        #expect((walSize() ?? 0) > 0, "a missing WAL is made again, with a frame")
        let tables = try DatabaseQueue(path: dir.at("catalog.sqlite")).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE name = 'lake_wal'") }
        #expect(tables.isEmpty, "the table that made the frame is gone")
    }

    func manifest(_ text: String) throws -> Manifest {
        try Manifest(entries: [ManifestEntry(path: "f.csv", mode: ManifestEntry.regular, size: UInt64(text.utf8.count),
                                             object: SHA256Hasher.hash(Array(text.utf8)))])
    }

    @Test func versionsNumberUpAndEqualContentMakesNone() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let name = try DatasetName("runs/passX")
        func commit(_ m: Manifest, kind: Kind? = nil) throws -> CommitRecord {
            try catalog.recordCommit(dataset: name, kind: kind, manifest: m, tables: ["f.csv": TableProfile(rows: 1, columns: ["id"], parseErrors: 0)], message: nil, sourcePath: "/src")
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
        let catalog = try makeCatalog(dir)
        let name = try DatasetName("d")
        var ids = [SnapshotID]()
        for text in ["a", "b"] {
            let m = try manifest(text)
            _ = try catalog.recordCommit(dataset: name, kind: nil, manifest: m, tables: [:], message: nil, sourcePath: "/s")
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

    /// Stores a manifest with one CSV file, as a commit would, and returns it.
    func storedManifest(_ dir: TempDirectory, _ csv: String) throws -> Manifest {
        let store = ObjectStore(root: dir.path)
        let batch = ObjectBatch(store: store)
        let object = try batch.store(Array(csv.utf8))
        let manifest = try Manifest(entries: [ManifestEntry(path: "f.csv", mode: ManifestEntry.regular, size: UInt64(csv.utf8.count), object: object)])
        try batch.store(manifest.encoded())
        try batch.finish()
        return manifest
    }

    /// A writer that dies after its journal append but before its commit leaves a record the
    /// catalog lacks: the next writer applies it, counting rows from the objects.
    @Test func theNextWriterAppliesARecordWhoseTransactionNeverCommitted() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let manifest = try storedManifest(dir, "id\n1\n2\n")
        _ = try catalog.journal.append(.version(.init(dataset: "runs/passX", kind: "run", version: 1, snapshot: manifest.id.description,
                                                     at: "2026-11-22T00:00:00.000Z", message: "orphan", source: "commit", sourcePath: "/x")))
        #expect(throws: CatalogError.self) { try catalog.versions(of: DatasetName("runs/passX")) }
        _ = try catalog.moveRef(RefName("r"), to: manifest.id, expect: .absent, action: "promote", actor: "t", message: nil)
        let versions = try catalog.versions(of: DatasetName("runs/passX"))
        #expect(versions.map(\.message) == ["orphan"])
        #expect(versions.first?.rows == 2)
        #expect(try catalog.ref(RefName("r"))?.snapshot == manifest.id.description)
    }

    /// A snapshot's file rows go 128, then 16, then the rest to a statement, and equal column
    /// lists are encoded once: every size comes back whole, columns included.
    @Test func theFilesOfASnapshotOfAnySizeComeBackWhole() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        for count in [1, 15, 16, 17, 150, 300] {
            let entries = (0 ..< count).map { i in
                ManifestEntry(path: "f\(10000 + i).csv", mode: ManifestEntry.regular, size: UInt64(i), object: SHA256Hasher.hash(Array("\(count)-\(i)".utf8)))
            }
            let manifest = try Manifest(entries: entries)
            func columns(_ i: Int) -> [String] { i % 3 == 0 ? ["id", "x"] : ["a\"b", "\(i % 2)"] }
            let tables = Dictionary(uniqueKeysWithValues: entries.indices.map { (entries[$0].path, TableProfile(rows: Int64($0), columns: columns($0), parseErrors: 0)) })
            _ = try catalog.recordCommit(dataset: DatasetName("d\(count)"), kind: nil, manifest: manifest, tables: tables, message: nil, sourcePath: "/s")
            let files = try catalog.files(of: manifest.id)
            #expect(files.map(\.path) == entries.map(\.path), "\(count) files")
            #expect(files.map(\.size) == entries.map { Int64($0.size) })
            #expect(files.map(\.rows) == entries.indices.map { Int64($0) })
            #expect(files.map(\.columns) == entries.indices.map { columns($0) })
        }
    }

    @Test func aTornJournalLineIsIgnoredAndCutOffByTheNextAppend() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let manifest = try storedManifest(dir, "id\n1\n")
        _ = try catalog.recordCommit(dataset: DatasetName("d"), kind: nil, manifest: manifest, tables: [:], message: nil, sourcePath: "/s")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: catalog.journal.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"type\":\"ref\",\"ref\":\"half".utf8))
        try handle.close()
        _ = try catalog.moveRef(RefName("r"), to: manifest.id, expect: nil, action: "promote", actor: "t", message: nil)
        let lines = try String(contentsOfFile: catalog.journal.path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
        #expect(try catalog.journal.records(from: 0).count == 2)
    }

    @Test func rebuildingFromTheJournalGivesTheSameCatalog() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let one = try storedManifest(dir, "id\n1\n")
        let two = try storedManifest(dir, "id\n1\n2\n3\n")
        _ = try catalog.recordCommit(dataset: DatasetName("a/b"), kind: .ledger, manifest: one, tables: ["f.csv": TableProfile(rows: 1, columns: ["id"], parseErrors: 0)], message: "m", sourcePath: "/s")
        _ = try catalog.recordCommit(dataset: DatasetName("a/b"), kind: nil, manifest: two, tables: ["f.csv": TableProfile(rows: 3, columns: ["id"], parseErrors: 0)], message: nil, sourcePath: "/s")
        _ = try catalog.moveRef(RefName("x"), to: one.id, expect: .absent, action: "promote", actor: "t", message: "go")
        _ = try catalog.moveRef(RefName("x"), to: two.id, expect: .at(one.id), action: "promote", actor: "t", message: nil)
        _ = try catalog.rollbackRef(RefName("x"), actor: "t", message: nil)
        let before = try CatalogDump.dump(catalog.path)
        try FileManager.default.removeItem(atPath: catalog.path)
        let counts = try Catalog.rebuild(lakeDirectory: dir.path, store: ObjectStore(root: dir.path))
        #expect(counts.datasets == 1 && counts.versions == 2 && counts.refMoves == 3)
        #expect(try CatalogDump.dump(catalog.path) == before)
    }

    @Test func aFailedTransactionTakesItsJournalRecordBack() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let manifest = try storedManifest(dir, "id\n1\n")
        _ = try catalog.recordCommit(dataset: DatasetName("d"), kind: nil, manifest: manifest, tables: [:], message: nil, sourcePath: "/s")
        let before = try String(contentsOfFile: catalog.journal.path, encoding: .utf8)
        struct DiskFull: Error {}
        #expect(throws: DiskFull.self) {
            try catalog.write { db in
                try catalog.journalAndApply(db, .refMove(.init(ref: "r", from: nil, to: manifest.id.description, action: "promote",
                                                               actor: "t", at: "2026-11-22T00:00:00.000Z", message: nil)))
                throw DiskFull()
            }
        }
        #expect(try String(contentsOfFile: catalog.journal.path, encoding: .utf8) == before)
        #expect(try catalog.refs().isEmpty)
        _ = try catalog.moveRef(RefName("r"), to: manifest.id, expect: .absent, action: "promote", actor: "t", message: nil)
        #expect(try catalog.refLog(RefName("r")).count == 1)
    }

    /// A batch records everything it was given in one transaction, or, when any part fails
    /// (here a ref that moved), nothing: no version, no ref, no journal record.
    @Test func aBatchRecordsAllOrNothing() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let name = try DatasetName("runs/passX"), ref = try RefName("runs/_current")
        let ids = try catalog.batch { batch in
            try ["a", "b", "c"].map { text in
                let m = try manifest(text)
                _ = try batch.recordCommit(dataset: name, kind: .run, manifest: m, tables: [:], message: nil, sourcePath: "/src")
                return m.id
            }
        }
        _ = try catalog.batch { try $0.moveRef(ref, to: ids[0], expect: .absent, action: "promote", actor: "t", message: nil) }
        #expect(try catalog.versions(of: name).map(\.version) == [1, 2, 3])
        #expect(try catalog.journal.records(from: 0).count == 4)
        let journal = try String(contentsOfFile: catalog.journal.path, encoding: .utf8)
        #expect(throws: CatalogError.self) {
            try catalog.batch { batch in
                _ = try batch.recordCommit(dataset: name, kind: nil, manifest: manifest("d"), tables: [:], message: nil, sourcePath: "/src")
                _ = try batch.moveRef(ref, to: ids[2], expect: .at(ids[1]), action: "promote", actor: "t", message: nil)
            }
        }
        #expect(try catalog.versions(of: name).count == 3)
        #expect(try catalog.ref(ref)?.snapshot == ids[0].description)
        #expect(try String(contentsOfFile: catalog.journal.path, encoding: .utf8) == journal)
        #expect(try !catalog.hasPendingJournal())
    }

    @Test func aJournalShorterThanTheCatalogIsCorruption() throws {
        let dir = TempDirectory()
        let catalog = try makeCatalog(dir)
        let manifest = try storedManifest(dir, "id\n1\n")
        _ = try catalog.recordCommit(dataset: DatasetName("d"), kind: nil, manifest: manifest, tables: [:], message: nil, sourcePath: "/s")
        try FileManager.default.removeItem(atPath: catalog.journal.path)
        do {
            _ = try catalog.moveRef(RefName("r"), to: manifest.id, expect: nil, action: "promote", actor: "t", message: nil)
            Issue.record("a write went on over a lost journal")
        } catch let error as CatalogError {
            #expect(error.category == .corruption)
            #expect("\(error)".contains("truncated or replaced"))
        }
        #expect(try catalog.journalProblems().problems.count == 1)
    }
}
