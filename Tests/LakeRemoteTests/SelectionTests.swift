import Foundation
import LakeCatalog
@testable import LakeRemote
import Testing

@Suite struct SelectionTests {
    static func id(_ n: Int) -> String { "sha256:" + String(repeating: String(n), count: 64).prefix(64) }

    /// A journal line, decoded as the journal does.
    static func record(_ json: String) -> JournalRecord {
        try! Journal.decoder().decode(JournalRecord.self, from: Data(json.utf8))
    }

    static func version(_ dataset: String, _ n: Int, _ snapshot: Int) -> JournalRecord {
        record(#"{"type":"version","dataset":"\#(dataset)","kind":"run","version":\#(n),"snapshot":"\#(id(snapshot))","at":"t","source":"commit"}"#)
    }

    static func run(_ rid: String, inputs: [Int], output: (String, Int)) -> JournalRecord {
        var r = RunRecord(id: rid, status: "succeeded", argv: ["x"], host: "h", actor: "a", lakeVersion: "0", startedAt: "t", endedAt: "t", durationMs: 0)
        r.inputs = inputs.map { .init(name: "in", snapshot: id($0)) }
        var o = RunRecord.Output(name: "out", dataset: output.0, kind: "run", snapshot: id(output.1))
        (o.version, o.created) = (1, true)
        r.outputs = [o]
        return .run(r)
    }

    static func move(_ ref: String, to snapshot: Int) -> JournalRecord {
        record(#"{"type":"ref","ref":"\#(ref)","to":"\#(id(snapshot))","action":"promote","actor":"a","at":"t"}"#)
    }

    /// A pull writes an archive where its record says: a remote journal whose archive record
    /// names a place outside `archives/` is refused as damaged, before anything is written.
    @Test(arguments: ["../../.ssh/authorized_keys", "/etc/cron.d/x", "archives/../../x", "catalog.sqlite"])
    func anArchiveRecordOutsideArchivesIsRefused(path: String) throws {
        let record = ArchiveRecord(archive: path, archiveSha256: Self.id(1), dataset: "d", version: 1, snapshot: Self.id(2), originalName: "d",
                                   files: 1, bytes: 1, rows: nil, createdAt: "t", archivedAt: "t")
        let line = try Journal.encoder().encode(JournalRecord.archive(record))
        let error = #expect(throws: RemoteError.self) { try Remote.decodeBatch(line, key: "journal/1.jsonl") }
        #expect(error?.description == "the remote's journal/1.jsonl is damaged: an archive record names '\(path)', not a path under archives/; nothing was taken from it")
        var fine = record
        fine.archive = "archives/20261123/d@1-abc.tar.zst"
        #expect(try Remote.decodeBatch(try Journal.encoder().encode(JournalRecord.archive(fine)), key: "k").count == 1)
    }

    /// raw@1 → (run A) → clean@1 → (run B) → final@1; other@1 stands alone; ref cur → final@1.
    static let records: [JournalRecord] = [
        version("raw", 1, 1), version("other", 1, 2), run("run-A", inputs: [1], output: ("clean", 3)),
        run("run-B", inputs: [3], output: ("final", 4)), move("cur", to: 4),
    ]

    @Test func aRefBringsItsDatasetsAndEverythingTheyWereMadeFrom() throws {
        let picked = try Selection.names(["cur"]).filter(Self.records).map(\.identity)
        #expect(picked == [Self.records[0], Self.records[2], Self.records[3], Self.records[4]].map(\.identity))
    }

    @Test func aDatasetBringsItsVersionsAndLineageButNoRefs() throws {
        let picked = try Selection.names(["clean"]).filter(Self.records).map(\.identity)
        #expect(picked == [Self.records[0], Self.records[2]].map(\.identity))
        #expect(try Selection.names(["other"]).filter(Self.records).count == 1)
        #expect(try Selection.all.filter(Self.records).count == Self.records.count)
        #expect(throws: RemoteError.self) { try Selection.names(["nothing"]).filter(Self.records) }
    }
}
