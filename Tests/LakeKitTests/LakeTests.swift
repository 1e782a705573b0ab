import Foundation
import GRDB
import LakeCatalog
import LakeCore
import LakeKit
import LakeStore
import LakeTestSupport
import Testing

@Suite struct LakeTests {
    func makeLake(_ dir: TempDirectory) throws -> Lake {
        try Lake.initialize(in: dir.at("home")).lake
    }

    @Test func runIDsAreTheMillisecondsThenRandomBitsInHex() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.5)
        let a = Lake.newRunID(date), b = Lake.newRunID(date)
        #expect(a.hasPrefix("run-18bcfe569f4") && a.count == 20, "\(a)")
        #expect(a.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(Lake.newRunID(Date(timeIntervalSince1970: 1_700_000_001)) > a && a.prefix(15) == b.prefix(15))
    }

    @Test func initWritesTheFormatAndIsIdempotent() throws {
        let dir = TempDirectory()
        let (lake, created) = try Lake.initialize(in: dir.at("home"))
        #expect(created)
        #expect(dir.read("home/.lake/FORMAT") == "lake-format 1\n")
        #expect(lake.directory == dir.at("home/.lake"))
        #expect(try Lake.initialize(in: dir.at("home")).created == false)
    }

    @Test func locateFindsTheLakeByOptionEnvironmentOrWalkingUp() throws {
        let dir = TempDirectory()
        _ = try makeLake(dir)
        try FileManager.default.createDirectory(atPath: dir.at("home/a/b"), withIntermediateDirectories: true)
        #expect(try Lake.locate(explicit: nil, environment: { _ in nil }, cwd: dir.at("home/a/b")) == dir.at("home/.lake"))
        #expect(try Lake.locate(explicit: dir.at("home"), environment: { _ in nil }, cwd: "/") == dir.at("home/.lake"))
        #expect(try Lake.locate(explicit: nil, environment: { ["LAKE_DIR": dir.at("home/.lake")][$0] }, cwd: "/") == dir.at("home/.lake"))
        #expect(throws: LakeError.self) { try Lake.locate(explicit: nil, environment: { _ in nil }, cwd: dir.path) }
        #expect(throws: LakeError.self) { try Lake.locate(explicit: dir.at("nowhere"), environment: { _ in nil }, cwd: "/") }
    }

    @Test func aNewerFormatIsRefused() throws {
        let dir = TempDirectory()
        _ = try makeLake(dir)
        dir.write("home/.lake/FORMAT", "lake-format 2\n")
        do {
            _ = try Lake.open(dir.at("home/.lake"))
            Issue.record("opened a newer format")
        } catch let e as LakeError {
            #expect("\(e)".contains("newer than this lake binary reads"))
        }
    }

    @Test func targetsResolveEveryWayTheDesignSays() throws {
        let dir = TempDirectory()
        let lake = try makeLake(dir)
        dir.write("t/a.csv", "x\n1\n")
        let one = try lake.commit(path: dir.at("t"), dataset: DatasetName("runs/passX"), kind: .run).record.snapshot
        dir.write("t/a.csv", "x\n1\n2\n")
        let two = try lake.commit(path: dir.at("t"), dataset: DatasetName("runs/passX"), promote: RefName("runs/passX")).record.snapshot
        _ = try lake.promote(RefName("runs/passX"), to: "runs/passX@1", expect: nil, message: nil)
        func id(_ t: String) throws -> String { try lake.resolve(t).0.description }
        #expect(try id("runs/passX@1") == one)
        #expect(try id("runs/passX@latest") == two)
        #expect(try id("dataset:runs/passX") == two, "dataset: forces the dataset")
        #expect(try id("runs/passX") == one, "a bare name is the ref first")
        #expect(try id("ref:runs/passX@{1}") == two)
        #expect(try id("runs/passX@{1}") == two)
        #expect(try id(two) == two)
        #expect(try id(String(two.dropFirst(7).prefix(8))) == two)
        #expect(try id("sha256:" + String(one.dropFirst(7).prefix(10))) == one)
        #expect(throws: LakeError.self) { try lake.resolve("nothing") }
        #expect(throws: CatalogError.self) { try lake.resolve("runs/passX@9") }
        #expect(throws: LakeError.self) { try lake.resolve("runs/passX@x") }
        #expect(throws: CoreError.self) { try lake.resolve("bad name") }
    }

    /// Two real snapshots sharing 8 hex digits would take ~2^32 commits, so two catalog rows
    /// that share a prefix are written straight into the catalog's SQLite file.
    @Test func anAmbiguousPrefixListsTheCandidates() throws {
        let dir = TempDirectory()
        let lake = try makeLake(dir)
        let a = "sha256:deadbeef" + String(repeating: "0", count: 55) + "1"
        let b = "sha256:deadbeef" + String(repeating: "0", count: 55) + "2"
        let queue = try DatabaseQueue(path: lake.catalog.path)
        try queue.write { db in
            for id in [a, b] {
                try db.execute(sql: "INSERT INTO snapshots (id, file_count, bytes, created_at) VALUES (?, 0, 0, 'now')", arguments: [id])
            }
        }
        do {
            _ = try lake.resolve("deadbeef")
            Issue.record("an ambiguous prefix resolved")
        } catch let e as LakeError {
            #expect(e.category == .usage)
            #expect("\(e)".contains(a) && "\(e)".contains(b))
        }
        #expect(try lake.resolve("deadbeef" + String(repeating: "0", count: 55) + "2").0.description == b)
    }

    @Test func commitWritesNothingHalfWhenTheSourceIsBad() throws {
        let dir = TempDirectory()
        let lake = try makeLake(dir)
        #expect(throws: StoreError.sourceMissing(dir.at("missing"))) {
            try lake.commit(path: dir.at("missing"), dataset: DatasetName("d"))
        }
        dir.write("t/a.txt", "a")
        #expect(mkfifo(dir.at("t/p"), 0o644) == 0)
        #expect(throws: StoreError.self) { try lake.commit(path: dir.at("t"), dataset: DatasetName("d")) }
        #expect(try lake.catalog.datasets().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.at("home/.lake/tmp")).isEmpty)
    }

    @Test func theLakeItselfIsNotSnapshotted() throws {
        let dir = TempDirectory()
        let lake = try makeLake(dir)
        dir.write("home/data.csv", "a\n1\n")
        let result = try lake.commit(path: dir.at("home"), dataset: DatasetName("home"))
        #expect(try lake.show("home").files.map(\.path) == ["data.csv"])
        #expect(result.record.files == 1)
    }
}

@Suite struct RecoveryTests {
    /// A writer killed between its journal append and its commit: the next command of any
    /// kind applies the record, so every command sees the same lake.
    @Test func aReaderAppliesTheRecordOfADeadWriter() throws {
        let dir = TempDirectory()
        let lake = try Lake.initialize(in: dir.at("home")).lake
        dir.write("t/a.csv", "x\n1\n")
        let snapshot = try lake.commit(path: dir.at("t"), dataset: DatasetName("runs/a")).record.snapshot
        let line = "{\"at\":\"2026-11-22T00:00:00.000Z\",\"dataset\":\"runs/b\",\"kind\":\"run\",\"message\":\"orphan\",\"snapshot\":\"\(snapshot)\",\"source\":\"commit\",\"type\":\"version\",\"version\":1}\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.at("home/.lake/journal.jsonl")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
        try handle.close()
        let reopened = try Lake.open(dir.at("home/.lake"))
        let versions = try reopened.catalog.versions(of: DatasetName("runs/b"))
        #expect(versions.map(\.message) == ["orphan"])
        #expect(versions.first?.rows == 1)
        #expect(try !reopened.catalog.hasPendingJournal())
    }

    @Test func tempFilesOfDeadProcessesAreSweptAndLiveOnesKept() throws {
        let dir = TempDirectory()
        let lake = try Lake.initialize(in: dir.at("home")).lake
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        dir.write("home/.lake/tmp/pack-\(child.processIdentifier)-123.tmp", "half a pack")
        dir.write("home/.lake/tmp/pack-\(getpid())-456.tmp", "a pack being written")
        dir.write("t/a.txt", "a\n")
        _ = try lake.commit(path: dir.at("t"), dataset: DatasetName("d"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.at("home/.lake/tmp")) == ["pack-\(getpid())-456.tmp"])
    }
}
