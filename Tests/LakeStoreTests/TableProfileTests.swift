import Foundation
import LakeStore
import LakeTestSupport
import Testing

@Suite struct TableProfileTests {
    /// Profiles `bytes` as a file named `name`, fed in chunks of `chunk` bytes so records,
    /// strings and escapes straddle chunk boundaries.
    func profile(_ name: String, _ bytes: [UInt8], chunk: Int) -> TableProfile? {
        guard let profiler = TableProfiler(fileName: name) else { return nil }
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            bytes[i ..< end].withUnsafeBytes { profiler.update($0) }
            i = end
        }
        return profiler.finish()
    }

    /// The profile, checked to be the same whatever the chunk size.
    func profile(_ name: String, _ text: String) -> TableProfile? {
        let bytes = Array(text.utf8)
        let whole = profile(name, bytes, chunk: max(1, bytes.count))
        for chunk in [1, 2, 3, 7, 64] {
            #expect(profile(name, bytes, chunk: chunk) == whole, "chunks of \(chunk) bytes")
        }
        return whole
    }

    @Test func csvHeaderRowsAndQuotedNewlines() {
        #expect(profile("run.csv", "id,\"the text\",\"say \"\"hi\"\"\"\n1,\"two\nlines\",x\n\n2,plain,y\n")
            == TableProfile(rows: 2, columns: ["id", "the text", "say \"hi\""], parseErrors: 0))
        #expect(profile("run.csv", "id,text\n") == TableProfile(rows: 0, columns: ["id", "text"], parseErrors: 0))
        #expect(profile("run.csv", "\u{FEFF}id,text\r\n1,a\r\n2,b") == TableProfile(rows: 2, columns: ["id", "text"], parseErrors: 0))
        #expect(profile("empty.csv", "") == TableProfile(rows: 0, columns: [], parseErrors: 0))
    }

    @Test func csvRecordsWithTheWrongFieldCountAreErrors() {
        // A ragged record is still a row (CSV readers return it), and it is counted as an error.
        #expect(profile("run.csv", "a,b,c\n1,2,3\n1,2\n1,2,3,4\n\"x,y\",2,3\n")
            == TableProfile(rows: 4, columns: ["a", "b", "c"], parseErrors: 2))
        // The file ends inside a quoted field: that record is cut short.
        #expect(profile("run.csv", "a,b\n1,2\n3,\"never closed\n4,5\n")
            == TableProfile(rows: 1, columns: ["a", "b"], parseErrors: 1))
    }

    @Test func tsvHasNoQuoting() {
        #expect(profile("t.TSV", "a\tb\n1\t\"2\n3\t4\n5\n") == TableProfile(rows: 3, columns: ["a", "b"], parseErrors: 1))
    }

    @Test func jsonLinesRowsAreObjectsAndTheRestAreErrors() {
        let text = """
        {"id": 1, "pool": "green", "nested": {"deep": [1, 2.5e3, -0.1, true, null]}}

        {"id": 2, "pool": "yellow", "error_type": "timeout"}
        not json
        [1, 2]
        {"id": 3, "text": "a \\"quoted\\" } brace, and \\\\ a backslash"}
        {"id": 4, "cut": "short
        {"id": 5, "bad": tru}
        {"id": 6, "bad": 1}}
        {"id": 7,}
        {"id" 8}
           \t
        {"id": 9, "é \\u00e9": 1, "new\\nline": 2}
        """
        #expect(profile("log.jsonl", text) == TableProfile(
            rows: 4, columns: ["id", "pool", "nested", "error_type", "text", "é é", "new\nline"], parseErrors: 7))
    }

    @Test func aJSONLineCutAfterABackslashDoesNotSwallowTheNext() {
        // A writer killed mid-line can leave `"...\` at the end of a line; the newline after it
        // still ends the line, so the record after it counts.
        #expect(profile("cut.jsonl", "{\"a\": \"torn \\\n{\"b\": 1}\n{\"c\\\n{\"d\": 2}\n")
            == TableProfile(rows: 2, columns: ["b", "d"], parseErrors: 2))
    }

    @Test func jsonLinesNumbersAreCheckedToTheirLastByte() {
        #expect(profile("n.jsonl", "{\"n\": -2.5E-3, \"m\": 1e5, \"k\": 123456789012}\n{\"n\": 12345678x}\n{\"n\": 1234567890true}\n{\"n\": truex}\n{\"n\": nul}\n")
            == TableProfile(rows: 1, columns: ["n", "m", "k"], parseErrors: 4))
    }

    @Test func jsonLinesColumnsAreCapped() {
        let wide = (0 ..< 600).map { "{\"k\($0)\": \($0)}" }.joined(separator: "\n")
        let p = profile("wide.ndjson", Array(wide.utf8), chunk: 4096)
        #expect(p?.rows == 600)
        #expect(p?.columns.count == TableProfile.maxColumns)
        #expect(p?.columns.first == "k0")
    }

    @Test func otherFilesAreNotTables() {
        #expect(TableProfiler(fileName: "model.pkl") == nil)
        #expect(TableProfiler(fileName: "archive.tar.gz") == nil)
        #expect(TableProfiler(fileName: "csv") == nil)
        #expect(TableFormat.of(fileName: "a/b.JSONL.ZST")?.format == .jsonLines)
        #expect(TableFormat.of(fileName: "shard-0001.jsonl.gz")?.compression == .gzip)
    }

    /// `gzip` or `zstd` run on `text`: the real tools' bytes, not ours.
    func compressed(_ tool: String, _ text: String) throws -> [UInt8] {
        let dir = TempDirectory()
        let path = dir.at("in")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, "-q", "-c", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(data)
    }

    @Test(arguments: [("gzip", "gz"), ("zstd", "zst")])
    func compressedTablesAreProfiledLikePlainOnes(tool: String, ext: String) throws {
        let csv = "pool,rows\n" + (0 ..< 5000).map { "p\($0 % 7),\($0)" }.joined(separator: "\n") + "\n"
        let bytes = try compressed(tool, csv)
        for chunk in [1, 100, 1 << 20] {
            #expect(profile("c.csv.\(ext)", bytes, chunk: chunk) == TableProfile(rows: 5000, columns: ["pool", "rows"], parseErrors: 0))
        }
        // Members or frames back to back read as one stream, as `gzip -d` and `zstd -d` do.
        let json = "{\"a\": 1}\n{\"b\": 2}\n"
        let twice = try compressed(tool, json) + compressed(tool, json)
        #expect(profile("s.jsonl.\(ext)", twice, chunk: 5) == TableProfile(rows: 4, columns: ["a", "b"], parseErrors: 0))
    }

    @Test(arguments: [("gzip", "gz"), ("zstd", "zst")])
    func aDamagedCompressedStreamIsOneErrorNotAFailure(tool: String, ext: String) throws {
        // Enough lines for several zstd blocks, so half the stream decompresses to something.
        let text = (0 ..< 100_000).map { "{\"n\": \($0)}" }.joined(separator: "\n") + "\n"
        let bytes = try compressed(tool, text)
        let cut = profile("x.jsonl.\(ext)", Array(bytes.prefix(bytes.count / 2)), chunk: 4096)
        // One for the stream, and one more when it stopped inside a line.
        #expect((1 ... 2).contains(cut?.parseErrors ?? 0))
        #expect((cut?.rows ?? 0) > 0 && (cut?.rows ?? 0) < 100_000, "rows before the cut are counted")
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0xFF
        #expect((profile("x.jsonl.\(ext)", flipped, chunk: 512)?.parseErrors ?? 0) >= 1)
        #expect(profile("x.jsonl.\(ext)", Array("not compressed at all\n".utf8), chunk: 8)
            == TableProfile(rows: 0, columns: [], parseErrors: 1))
    }
}
