@testable import LakeRetention
import Testing

@Suite struct TarTests {
    @Test func headersCarryTheirChecksumAndParseBack() throws {
        let entry = TarEntry(path: "run/ok.jsonl", kind: .file, mode: 0o755, size: 1234, linkTarget: nil, mtime: 1_700_000_000)
        let header = TarFormat.header(entry)
        #expect(header.count == 512)
        let (type, parsed) = try TarFormat.parse(header, pax: [:], archive: "t")
        #expect(type == UInt8(ascii: "0"))
        #expect(parsed == entry)
        var damaged = header
        damaged[10] ^= 1
        #expect(throws: ArchiveError.self) { try TarFormat.parse(damaged, pax: [:], archive: "t") }
    }

    @Test func longAndUnicodeNamesGoThroughPaxRecords() throws {
        let long = "run/" + String(repeating: "d", count: 150) + "/é.txt"
        let blocks = TarFormat.header(TarEntry(path: long, kind: .file, mode: 0o644, size: 1, linkTarget: nil, mtime: 0))
        #expect(blocks.count == 3 * 512, "a pax header, its records, the ustar header")
        let records = try TarFormat.paxRecords(Array(blocks[512 ..< 1024].prefix { $0 != 0 }), archive: "t")
        #expect(records["path"] == long)
        #expect(try TarFormat.parse(Array(blocks[1024...]), pax: records, archive: "t").entry.path == long)
    }

    @Test func paddingFillsTheLastBlock() {
        #expect(TarFormat.padding(after: 0).isEmpty)
        #expect(TarFormat.padding(after: 1).count == 511)
        #expect(TarFormat.padding(after: 512).isEmpty)
    }
}
