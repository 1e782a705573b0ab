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

    /// Numeric fields are octal digits, with the spaces other tars pad them with; anything else
    /// is a damaged header, named.
    @Test func numericFieldsAreOctalBetweenSpaces() throws {
        func header(size field: String) -> [UInt8] {
            var h = TarFormat.header(TarEntry(path: "f", kind: .file, mode: 0o644, size: 0, linkTarget: nil, mtime: 0))
            for (i, b) in Array(field.utf8).enumerated() { h[124 + i] = b }
            for i in 148 ..< 156 { h[i] = 0x20 }
            let sum = String(h.reduce(0) { $0 + Int($1) }, radix: 8)
            for (i, b) in Array((String(repeating: "0", count: 6 - sum.count) + sum).utf8).enumerated() { h[148 + i] = b }
            h[154] = 0
            return h
        }
        #expect(try TarFormat.parse(header(size: "  1750 \0    "), pax: [:], archive: "t").entry.size == 0o1750)
        #expect(try TarFormat.parse(header(size: "00000000012\0"), pax: [:], archive: "t").entry.size == 10)
        for bad in ["0000000001x\0", "00000000-12\0", "0000000009\0\0"] {
            #expect(throws: ArchiveError.corrupt(path: "t", entry: nil, problem: "header field size is not a number")) {
                try TarFormat.parse(header(size: bad), pax: [:], archive: "t")
            }
        }
    }

    @Test func longAndUnicodeNamesGoThroughPaxRecords() throws {
        let long = "run/" + String(repeating: "d", count: 150) + "/é.txt"
        let blocks = TarFormat.header(TarEntry(path: long, kind: .file, mode: 0o644, size: 1, linkTarget: nil, mtime: 0))
        #expect(blocks.count == 3 * 512, "a pax header, its records, the ustar header")
        let records = try TarFormat.paxRecords(Array(blocks[512 ..< 1024].prefix { $0 != 0 }), archive: "t")
        #expect(records["path"] == long)
        #expect(try TarFormat.parse(Array(blocks[1024...]), pax: records, archive: "t").entry.path == long)
    }

    /// A file of 8 GiB or more does not fit the 11 octal digits of the ustar size field: its
    /// size is a pax record. Lake parses it back, and GNU tar lists it (from the headers
    /// alone: the bytes themselves would take 8 GiB).
    @Test(arguments: [TarFormat.maxUstarSize, TarFormat.maxUstarSize + 1, 20 << 30])
    func sizesOf8GiBAndMoreGoThroughPaxRecords(size: UInt64) throws {
        let entry = TarEntry(path: "model.bin", kind: .file, mode: 0o644, size: size, linkTarget: nil, mtime: 0)
        let blocks = TarFormat.header(entry)
        let large = size > TarFormat.maxUstarSize
        #expect(blocks.count == (large ? 3 : 1) * 512)
        let records = large ? try TarFormat.paxRecords(Array(blocks[512 ..< 1024].prefix { $0 != 0 }), archive: "t") : [:]
        #expect(records["size"] == (large ? String(size) : nil))
        #expect(try TarFormat.parse(Array(blocks.suffix(512)), pax: records, archive: "t").entry == entry)
        let dir = TempDirectory()
        try Data(blocks).write(to: URL(fileURLWithPath: dir.at("headers.tar")))
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-tvf", dir.at("headers.tar")]
        let out = Pipe()
        (tar.standardOutput, tar.standardError) = (out, FileHandle.nullDevice)
        try tar.run()
        let listing = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tar.waitUntilExit()
        #expect(listing.contains(" \(size) ") && listing.contains("model.bin"), "\(listing)")
    }

    @Test func paddingFillsTheLastBlock() {
        #expect(TarFormat.padding(after: 0).isEmpty)
        #expect(TarFormat.padding(after: 1).count == 511)
        #expect(TarFormat.padding(after: 512).isEmpty)
    }
}

import Foundation
import LakeCore
import LakeStore
import LakeTestSupport

/// Hostile archives are refused by name before anything is stored: entries outside the
/// archive's directory, '..' paths and absolute paths.
@Suite struct HostileArchiveTests {
    func tar(_ args: [String], cwd: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tar"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test(arguments: [
        (["--zstd", "-cPf", "evil.tar.zst", "run/ok.jsonl", "run/../outside.txt"], "unsafe entry 'run/../outside.txt'"),
        (["--zstd", "-cf", "evil.tar.zst", "outside.txt"], "outside the archive's directory"),
        (["--zstd", "-cf", "evil.tar.zst", "run/ok.jsonl", "run/extra.txt"], "the snapshot has no such file"),
        (["--zstd", "-cf", "evil.tar.zst", "link/ok.jsonl"], "outside the archive's directory"),
        (["--zstd", "-cf", "evil.tar.zst", "--transform", "s,^link,run,", "link/ok.jsonl"], "does not match its manifest at 'run/ok.jsonl'"),
    ])
    func refusedByName(_ args: [String], _ message: String) throws {
        let dir = TempDirectory()
        dir.write("run/ok.jsonl", "{}\n")
        dir.write("run/extra.txt", "x\n")
        dir.write("outside.txt", "x\n")
        // A link where the snapshot has a file, pointing out of the tree.
        try FileManager.default.createDirectory(atPath: dir.at("link"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.at("link/ok.jsonl"), withDestinationPath: "/etc/passwd")
        try tar(args, cwd: dir.path)
        try ObjectStore.create(at: dir.at(".lake"))
        let store = ObjectStore(root: dir.at(".lake"))
        let manifest = try Manifest(entries: [ManifestEntry(path: "ok.jsonl", mode: ManifestEntry.regular, size: 3,
                                                             object: SHA256Hasher.hash(Array("{}\n".utf8)))])
        let batch = ObjectBatch(store: store)
        #expect(throws: ArchiveError.self) {
            try SnapshotArchive.verify(dir.at("evil.tar.zst"), manifest: manifest, rootName: "run", restoringInto: batch)
        }
        do {
            try SnapshotArchive.verify(dir.at("evil.tar.zst"), manifest: manifest, rootName: "run", restoringInto: batch)
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
        #expect(try store.packFiles.isEmpty, "nothing was stored")
    }
}
