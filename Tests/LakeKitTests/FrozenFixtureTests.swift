import Foundation
import LakeCore
import LakeKit
import LakeStore
import LakeTestSupport
import Testing

/// Tests/Fixtures/lake-v1 was written by the first format-1 binary and is never regenerated
/// (see make-lake-v1.sh): these tests prove that today's code still reads it.
@Suite struct FrozenFixtureTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Fixtures/lake-v1"

    /// A private copy: opening a lake may write SQLite's WAL files.
    func openCopy(_ dir: TempDirectory) throws -> Lake {
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: dir.at("lake"))
        return try Lake.open(Lake.locate(explicit: dir.at("lake")))
    }

    @Test func catalogAndRefsReadAsWritten() throws {
        let dir = TempDirectory()
        let lake = try openCopy(dir)
        #expect(try lake.catalog.datasets().map(\.name) == ["corpus/_ledger/yellow_passed", "runs/passX"])
        let versions = try lake.catalog.versions(of: DatasetName("runs/passX"))
        #expect(versions.map(\.snapshot) == ["sha256:86c489be32ff1a37d31a38cfe112d60744afc81d046c8e67505181c9d3b63b0f",
                                              "sha256:ccc7bb13e92f606c4cb7e6535f1a50f0656967e666f2ff1e1bf0a6d474cbd8b2"])
        #expect(versions.map(\.rows) == [4, 5])
        #expect(versions.map(\.message) == ["first run", "resumed"])
        #expect(try lake.resolve("field/_current/MERGED@{1}").0.description == versions[0].snapshot)
        #expect(try lake.resolve("field/_current/MERGED").0.description == versions[1].snapshot)
        #expect(try lake.catalog.datasetKind(DatasetName("corpus/_ledger/yellow_passed")) == .ledger)
    }

    @Test func objectsAndManifestsReadAsWritten() throws {
        let dir = TempDirectory()
        let lake = try openCopy(dir)
        var bytes = [UInt8]()
        try lake.cat("runs/passX@1:sub/name with\nnewline.txt") { bytes += $0 }
        #expect(String(decoding: bytes, as: UTF8.self) == "two\nlines\n")
        let report = try lake.fsck()
        #expect(report.clean, "\(report.problems)")
        #expect(report.snapshots == 3)
        let out = try lake.checkout("runs/passX@2", into: dir.at("out"), mode: .copy)
        #expect(out.files == 6)
        #expect(dir.read("out/scores.csv") == "word_id,word,rarity_level\n1,apple,L1\n2,quixotic,L4\n3,zephyr,L3\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.at("out/sub/latest")) == "../ok.jsonl")
        #expect(FileManager.default.isExecutableFile(atPath: dir.at("out/run.sh")))
    }

    @Test func aCopyWithoutEmptyDirectoriesStillTakesCommits() throws {
        let dir = TempDirectory()
        let lake = try openCopy(dir)
        dir.write("new/a.txt", "a\n")
        let result = try lake.commit(path: dir.at("new"), dataset: DatasetName("runs/passX"))
        #expect(result.record.version == 3)
    }
}
