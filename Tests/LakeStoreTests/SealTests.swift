import CLakeSys
import Foundation
import LakeCore
@testable import LakeStore
import LakeTestSupport
import Testing

/// Loose objects carry a seal (XXH3-64 in `user.lake.xxh3`) that a checkout checks instead of
/// the SHA-256 name; a seal that disagrees never decides alone.
@Suite struct SealTests {
    /// A store with one loose object of 3 MiB and a checkout destination.
    struct Fixture {
        let dir = TempDirectory()
        let store: ObjectStore
        let entry: ManifestEntry
        let bytes: Data

        init() throws {
            try ObjectStore.create(at: dir.at(".lake"))
            store = ObjectStore(root: dir.at(".lake"))
            var random = SeededBytes(seed: 21)
            bytes = random.next(3 << 20)
            dir.write("tree/big.bin", bytes)
            let ingest = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: ObjectBatch(store: store))
            entry = ingest.manifest.entries[0]
        }

        var path: String { store.loosePath(entry.object) }

        func setSeal(_ text: String) {
            chmod(path, 0o644)
            #expect(setxattr(path, Seal.attribute, text, text.utf8.count, 0) == 0)
            chmod(path, 0o444)
        }

        func flipByte(at offset: UInt64) throws {
            chmod(path, 0o644)
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            try handle.seek(toOffset: offset)
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: [byte ^ 0x01])
            try handle.close()
            chmod(path, 0o444)
        }

        /// Reads the object as a checkout does; returns what reached the sink and how often the
        /// read started again.
        func readSealed() throws -> (bytes: Data, restarts: Int) {
            var out = Data()
            var restarts = 0
            try store.readSealed(entry.object, restart: { restarts += 1; out.removeAll() }) { out.append(contentsOf: $0) }
            return (out, restarts)
        }
    }

    @Test func aLooseObjectIsSealedWithTheXXH3ThatXxhsumPrints() throws {
        let f = try Fixture()
        let seal = try #require(Seal.attached(to: f.path), "a commit seals the loose objects it writes")
        let xxhsum = try LakeCLI.run([f.path], cwd: f.dir.path, prefix: ["/usr/bin/xxhsum", "-H3"], replacingBinary: true)
        #expect(xxhsum.status == 0, "xxhsum: \(xxhsum.stderr)")
        #expect(xxhsum.stdout.hasSuffix("= \(seal.text)\n"), "xxhsum printed \(xxhsum.stdout), the seal is \(seal.text)")
        #expect(f.bytes.withUnsafeBytes { Seal(of: $0) } == seal, "the seal of the bytes in one piece is the seal of their chunks")
        var st = stat()
        #expect(lstat(f.path, &st) == 0 && st.st_mode & 0o777 == 0o444, "sealed, the object is still read-only")
    }

    @Test func objectsStoredFromMemoryOrRestoredInChunksAreSealedToo() throws {
        let f = try Fixture()
        var random = SeededBytes(seed: 22)
        let fromMemory = [UInt8](random.next(ObjectStore.looseThreshold + 1))
        let chunked = [UInt8](random.next(ObjectStore.looseThreshold * 2))
        let batch = ObjectBatch(store: f.store)
        let a = try batch.store(fromMemory)
        let b = try batch.storeChunks(size: UInt64(chunked.count), expecting: SHA256Hasher.hash(chunked)) { sink in
            try chunked.withUnsafeBytes { all in
                for start in stride(from: 0, to: all.count, by: 65536) {
                    try sink(UnsafeRawBufferPointer(rebasing: all[start ..< min(start + 65536, all.count)]))
                }
            }
        }
        #expect(Seal.attached(to: f.store.loosePath(a)) == fromMemory.withUnsafeBytes { Seal(of: $0) })
        #expect(Seal.attached(to: f.store.loosePath(b)) == chunked.withUnsafeBytes { Seal(of: $0) })
    }

    @Test func anIntactObjectIsReadOnceAgainstItsSeal() throws {
        let f = try Fixture()
        let read = try f.readSealed()
        #expect(read.restarts == 0)
        #expect(read.bytes == f.bytes)
    }

    @Test func aFlippedByteUnderAGoodSealIsReportedAsCorrupt() throws {
        let f = try Fixture()
        try f.flipByte(at: 2_000_000)
        #expect(throws: StoreError.self) { try f.readSealed() }
        var served = 0
        #expect(throws: StoreError.self) { try f.store.readVerifiedFirst(f.entry.object) { served += $0.count } }
        #expect(served == 0, "lake cat's read checks before the first byte")
        let out = f.dir.at("out")
        let manifest = try Manifest(entries: [f.entry])
        #expect(throws: StoreError.self) { try Checkout.run(manifest, store: f.store, into: out, mode: .copy) }
        #expect(!FileManager.default.fileExists(atPath: out), "no partial checkout is left")
    }

    /// The seal may be what was damaged: then the name decides, and the bytes are served once,
    /// from the start, not appended to what the first pass wrote.
    @Test func aDamagedSealOverGoodBytesCostsARereadNotAnError() throws {
        let f = try Fixture()
        f.setSeal("0123456789abcdef")
        let read = try f.readSealed()
        #expect(read.restarts == 1)
        #expect(read.bytes == f.bytes)
        try f.store.check(f.entry.object)
        var served = Data()
        try f.store.readVerifiedFirst(f.entry.object) { served.append(contentsOf: $0) }
        #expect(served == f.bytes)
        let report = try Checkout.run(try Manifest(entries: [f.entry]), store: f.store, into: f.dir.at("out"), mode: .copy)
        #expect(report.files == 1)
        #expect(FileManager.default.contents(atPath: f.dir.at("out/big.bin")) == f.bytes)
    }

    @Test func anObjectWithoutASealIsCheckedByName() throws {
        let f = try Fixture()
        chmod(f.path, 0o644)
        #expect(removexattr(f.path, Seal.attribute) == 0)
        chmod(f.path, 0o444)
        #expect(Seal.attached(to: f.path) == nil)
        #expect(try f.readSealed().bytes == f.bytes)
        f.setSeal("not a seal at all")
        #expect(Seal.attached(to: f.path) == nil, "an attribute that is not 16 hex digits is no seal")
        try f.flipByte(at: 10)
        #expect(throws: StoreError.self) { try f.readSealed() }
    }
}
