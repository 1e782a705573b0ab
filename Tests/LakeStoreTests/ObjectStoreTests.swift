import Foundation
import LakeCore
@testable import LakeStore
import LakeTestSupport
import Testing

@Suite struct ObjectStoreTests {
    func makeStore(_ dir: TempDirectory) throws -> ObjectStore {
        try ObjectStore.create(at: dir.at(".lake"))
        return ObjectStore(root: dir.at(".lake"))
    }

    @Test func smallObjectsGoToOnePackAndLargeOnesAreLoose() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        var random = SeededBytes(seed: 1)
        for i in 0 ..< 50 { dir.write("tree/small/\(i).txt", "file \(i)\n") }
        dir.write("tree/big.bin", random.next(ObjectStore.looseThreshold + 10))
        let batch = ObjectBatch(store: store)
        let ingest = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: batch)
        #expect(ingest.manifest.entries.count == 51)
        #expect(ingest.objectsWritten == 51)
        let big = try #require(ingest.manifest.entries.first { $0.path == "big.bin" })
        #expect(try store.location(of: big.object) == .loose(path: store.loosePath(big.object)))
        var st = stat()
        #expect(lstat(store.loosePath(big.object), &st) == 0 && st.st_mode & 0o777 == 0o444, "loose objects are read-only")
        // Two workers at most: each writes its own pack; once synced, nothing is left in tmp/.
        let packs = try FileManager.default.contentsOfDirectory(atPath: store.packsDirectory)
        #expect((1 ... ProcessInfo.processInfo.activeProcessorCount).contains(packs.count))
        try store.syncWritten()
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.tmpDirectory).isEmpty)
        // A fresh store instance reads the packs' indexes back.
        let reopened = ObjectStore(root: store.root)
        let small = try #require(ingest.manifest.entries.first { $0.path == "small/7.txt" })
        #expect(String(decoding: try reopened.bytes(of: small.object), as: UTF8.self) == "file 7\n")
    }

    @Test func equalContentIsStoredOnce() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        for i in 0 ..< 20 { dir.write("tree/\(i).txt", "same\n") }
        let ingest = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: ObjectBatch(store: store))
        #expect(ingest.objectsWritten == 1)
        let again = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: ObjectBatch(store: store))
        #expect(again.objectsWritten == 0)
        #expect(again.manifest.id == ingest.manifest.id)
    }

    /// Packs merged by another process (gc, or a commit that found many small packs): a store
    /// that read the old indexes still finds every object, in the new pack.
    @Test func aStoreThatReadTheIndexesBeforeAMergeFindsEveryObject() throws {
        let dir = TempDirectory()
        let writer = try makeStore(dir)
        var stored = [ObjectID: [UInt8]]()
        for i in 0 ..< 4 {
            let batch = ObjectBatch(store: writer)
            let bytes = [UInt8]("object \(i)\n".utf8)
            stored[try batch.store(bytes)] = bytes
            try batch.finish()
        }
        let reader = ObjectStore(root: writer.root)
        let packs = try reader.packFiles
        #expect(packs.count == 4)
        try writer.rewrite(packs: Set(packs.dropLast())) { _ in true }
        #expect(try ObjectStore(root: writer.root).packFiles.count == 2, "three packs merged into one, one left")
        for (id, bytes) in stored { #expect(try reader.bytes(of: id) == bytes) }
        #expect(try reader.packFiles.count == 2, "the reader read the indexes again")
    }

    /// Rewriting a pack whose objects all move makes a pack of the same name (its name is the
    /// hash of its index), as when a merge ended before its removals and the next one redoes
    /// it: that pack is kept, not removed as an old one.
    @Test func aRewriteThatMakesThePackItRewritesKeepsIt() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        let batch = ObjectBatch(store: store)
        let ids = try (0 ..< 3).map { try batch.store([UInt8]("object \($0)\n".utf8)) }
        try batch.finish()
        let packs = try store.packFiles
        #expect(packs.count == 1)
        try store.rewrite(packs: Set(packs)) { _ in true }
        let reopened = ObjectStore(root: store.root)
        #expect(try reopened.packFiles == packs)
        for (i, id) in ids.enumerated() { #expect(try reopened.bytes(of: id) == [UInt8]("object \(i)\n".utf8)) }
    }

    /// An object in two packs, one copy damaged, merged the way `mergeSmallPacksIfMany` does
    /// (a pack that throws `corruptObject` is left out and the rest merged again): the good
    /// copy is moved, whichever pack lookups found it in (`f`: the damaged one, named last),
    /// rather than its pack removed with nothing copied. A pack whose index does not read is
    /// neither read nor removed.
    @Test(arguments: ["0", "f"])
    func aMergeKeepsTheGoodCopyOfAnObjectStoredTwice(damagedName: String) throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        let batch = ObjectBatch(store: store)
        let id = try batch.store([UInt8]("stored twice\n".utf8))
        try batch.finish()
        let good = try #require(try store.packFiles.first)
        let bad = store.packsDirectory + "/" + String(repeating: damagedName, count: 64) + ".pack"
        try FileManager.default.copyItem(atPath: good, toPath: bad)
        try flipByte(in: bad, at: 2)
        let unreadable = store.packsDirectory + "/" + String(repeating: "e", count: 64) + ".pack"
        try FileManager.default.copyItem(atPath: good, toPath: unreadable)
        try flipByte(in: unreadable, at: UInt64(try #require(FileIO.lstat(unreadable)).st_size) - 1)
        store.reloadPackIndexes()
        var packs = Set(try store.packFiles + [unreadable])
        #expect(packs.count == 3)
        while true {
            do {
                try store.rewrite(packs: packs) { _ in true }
                break
            } catch StoreError.corruptObject(_, _, let pack) where packs.contains(pack) {
                packs.remove(pack)
            }
        }
        let reopened = ObjectStore(root: store.root)
        #expect(try reopened.bytes(of: id) == [UInt8]("stored twice\n".utf8))
        #expect(try reopened.damagedPacks.keys.sorted() == [unreadable], "a pack whose index does not read is left")
        #expect(try reopened.packFiles.count == (packs.contains(bad) ? 1 : 2), "one merged pack, and the damaged copy when it was left out")
    }

    /// A segment list names its parts; with one of them gone the object is not stored, so a
    /// commit of its bytes writes them again rather than trusting the list.
    @Test func anObjectStoredAsSegmentsIsStoredOnlyWithAllItsParts() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        let batch = ObjectBatch(store: store)
        let head = [UInt8]("head\n".utf8), tail = [UInt8]("tail\n".utf8)
        let headID = try batch.store(head)
        try batch.finish()
        let whole = SHA256Hasher.hash(head + tail)
        let list = store.segmentsPath(whole)
        try FileManager.default.createDirectory(atPath: (list as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tailID = SHA256Hasher.hash(tail)
        try Data("lake-segments v1\n\(headID) 5\n\(tailID) 5\n".utf8).write(to: URL(fileURLWithPath: list))
        #expect(try store.size(of: whole) == nil, "the tail is not stored")
        #expect(try !store.contains(whole, size: 10))
        #expect(try !store.contains(whole))
        let more = ObjectBatch(store: store)
        #expect(try more.store(tail) == tailID)
        try more.finish()
        store.reloadPackIndexes()
        #expect(try store.size(of: whole) == 10)
        #expect(try store.bytes(of: whole) == head + tail)
    }

    /// A power loss before a commit's sync can leave a loose object shorter than its name says;
    /// the next commit of that content must write it again, not trust it.
    @Test func aTornLooseObjectIsRewritten() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        var random = SeededBytes(seed: 5)
        dir.write("tree/big.bin", random.next(ObjectStore.looseThreshold * 2))
        let first = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: ObjectBatch(store: store))
        let id = first.manifest.entries[0].object
        truncate(store.loosePath(id), 4096)
        let again = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: ObjectBatch(store: store))
        #expect(again.objectsWritten == 1)
        #expect(try store.bytes(of: id).count == ObjectStore.looseThreshold * 2)
    }

    @Test func aFlippedByteIsReportedNotServed() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        dir.write("tree/a.txt", "precious bytes\n")
        let ingest = try Snapshotter(store: store).snapshot(path: dir.at("tree"), statCache: nil, batch: ObjectBatch(store: store))
        let id = ingest.manifest.entries[0].object
        guard case .packed(let pack, let offset, _) = try store.location(of: id) else { Issue.record("not packed"); return }
        try flipByte(in: pack, at: offset + 3)
        #expect(throws: StoreError.self) { try ObjectStore(root: store.root).bytes(of: id) }
        let verification = try StoreVerifier.verify(ObjectStore(root: store.root))
        #expect(verification.problems.count == 1)
        #expect(verification.problems.first?.object == id.description)
        #expect(!verification.good.contains(id))
    }

    @Test func aPackWithoutItsTrailerIsDamagedButOthersStayReadable() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        dir.write("one/a.txt", "first\n")
        let first = try Snapshotter(store: store).snapshot(path: dir.at("one"), statCache: nil, batch: ObjectBatch(store: store))
        let broken = try store.packFiles[0]
        dir.write("two/b.txt", "second\n")
        let second = try Snapshotter(store: store).snapshot(path: dir.at("two"), statCache: nil, batch: ObjectBatch(store: store))
        truncate(broken, 10)
        let reopened = ObjectStore(root: store.root)
        #expect(try reopened.damagedPacks.keys.contains(broken))
        #expect(try reopened.bytes(of: second.manifest.entries[0].object) == Array("second\n".utf8))
        #expect(throws: StoreError.self) { try reopened.bytes(of: first.manifest.entries[0].object) }
    }

    /// A store that put files in place marks it in `tmp/` until they are synced, so that a
    /// writer that reuses them syncs the whole filesystem while another marker is there.
    @Test func unsyncedMarkersLastUntilTheirFilesAreDurable() throws {
        let dir = TempDirectory()
        let store = try makeStore(dir)
        func markers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: store.tmpDirectory).filter { $0.hasPrefix("unsynced-") }.sorted()
        }
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = "unsynced-\(gone.processIdentifier)-1", alive = "unsynced-1-2", leftover = "pack-\(gone.processIdentifier)-3.tmp"
        for name in [dead, alive, leftover] { dir.write(".lake/tmp/" + name, "") }
        try store.prepareForWriting()
        #expect(try markers() == [alive, dead], "temp files of the dead go, their markers stay for the next sync")
        #expect(!FileManager.default.fileExists(atPath: store.tmpDirectory + "/" + leftover))

        var random = SeededBytes(seed: 3)
        let batch = ObjectBatch(store: store)
        try batch.store([UInt8](random.next(ObjectStore.looseThreshold)))
        try batch.store([UInt8]("small\n".utf8))
        try batch.finish()
        let all = try markers()
        #expect(all.filter { $0.hasPrefix("unsynced-\(getpid())-") }.count == 1, "one marker for this process: \(all)")
        try store.syncWritten()
        #expect(try markers() == [alive], "the sync clears this process's marker and the dead one's, not a live writer's")

        // Alone, the store syncs its own files; the marker goes with them.
        unlink(store.tmpDirectory + "/" + alive)
        try batch.store([UInt8](random.next(ObjectStore.looseThreshold)))
        #expect(try markers().count == 1)
        try store.syncWritten()
        #expect(try markers().isEmpty)
    }

    func flipByte(in path: String, at offset: UInt64) throws {
        chmod(path, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: [byte ^ 0xFF])
        try handle.close()
    }
}

@Suite struct SnapshotterTests {
    func snapshot(_ dir: TempDirectory, _ tree: String, cache: [String: CachedFile] = [:]) throws -> Ingest {
        let root = dir.at(".lake")
        if !FileManager.default.fileExists(atPath: root) { try ObjectStore.create(at: root) }
        let store = ObjectStore(root: root)
        let statCache = StatCache(lakeDirectory: root, root: dir.at(tree))
        statCache.save(cache)
        return try Snapshotter(store: store).snapshot(path: dir.at(tree), statCache: statCache, batch: ObjectBatch(store: store))
    }

    @Test func keepsExecutableBitLinksAndRows() throws {
        let dir = TempDirectory()
        dir.write("t/run.sh", "#!/bin/sh\n", mode: 0o755)
        dir.write("t/data/ok.jsonl", "{}\n{}\n")
        try FileManager.default.createSymbolicLink(atPath: dir.at("t/data/latest"), withDestinationPath: "ok.jsonl")
        try FileManager.default.createSymbolicLink(atPath: dir.at("t/up"), withDestinationPath: "data/../run.sh")
        let ingest = try snapshot(dir, "t")
        let byPath = Dictionary(uniqueKeysWithValues: ingest.manifest.entries.map { ($0.path, $0) })
        #expect(byPath["run.sh"]?.mode == ManifestEntry.executable)
        #expect(byPath["data/ok.jsonl"]?.mode == ManifestEntry.regular)
        #expect(byPath["data/latest"]?.mode == ManifestEntry.symlink)
        #expect(byPath["data/latest"]?.object == SHA256Hasher.hash(Array("ok.jsonl".utf8)))
        #expect(ingest.tables.mapValues(\.rows) == ["data/ok.jsonl": 2])
    }

    @Test(arguments: ["/etc/passwd", "../outside", "a/../../x"])
    func linksLeavingTheTreeAreRefused(_ target: String) throws {
        let dir = TempDirectory()
        dir.write("t/a.txt", "a")
        try FileManager.default.createSymbolicLink(atPath: dir.at("t/bad"), withDestinationPath: target)
        do {
            _ = try snapshot(dir, "t")
            Issue.record("an escaping link was accepted")
        } catch let error as StoreError {
            #expect("\(error)".contains(dir.at("t/bad")))
            #expect("\(error)".contains("outside the tree"))
        }
    }

    @Test func fifosAreRefusedWithTheirPath() throws {
        let dir = TempDirectory()
        dir.write("t/a.txt", "a")
        #expect(mkfifo(dir.at("t/pipe"), 0o644) == 0)
        #expect(throws: StoreError.unsupportedFile(path: dir.at("t/pipe"), type: "fifo")) { try snapshot(dir, "t") }
    }

    /// A tree of few files is taken largest first, by the stat cache's size where it has one,
    /// so no core waits at the end for another to hash a big file; its manifest is still in
    /// path order. A tree of many files keeps the scan's order.
    @Test func aSmallTreeIsTakenLargestFirstAndListedInPathOrder() throws {
        let dir = TempDirectory()
        var random = SeededBytes(seed: 9)
        dir.write("t/a.bin", random.next(10))
        dir.write("t/b.bin", random.next(3 << 20))
        dir.write("t/c/d.bin", random.next(3 << 19))
        dir.write("t/e.txt", random.next(3 << 20))
        try FileManager.default.createSymbolicLink(atPath: dir.at("t/l"), withDestinationPath: "a.bin")
        let root = try TreeScanner.scan(dir.at("t"))
        let fd = open(root.base, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try ObjectStore.create(at: dir.at(".lake"))
        func order(cache: [String: CachedFile]) throws -> [String] {
            let statCache = StatCache(lakeDirectory: dir.at(".lake"), root: dir.at("t"))
            statCache.save(cache)
            let ranks = try #require(Snapshotter.largestFirst(root, baseFd: fd, cache: statCache.load()))
            return ranks.map { root.entries[$0].path }
        }
        #expect(try order(cache: [:]) == ["b.bin", "e.txt", "c/d.bin", "a.bin", "l"], "ties keep path order")
        let cachedBig = CachedFile(size: 9 << 20, mtimeNs: 1, ctimeNs: 1, inode: 1, device: 1, object: SHA256Hasher.hash([1]), table: nil)
        #expect(try order(cache: ["a.bin": cachedBig]).first == "a.bin", "a cached size is used without a stat")
        let ingest = try snapshot(dir, "t")
        #expect(ingest.manifest.entries.map(\.path) == ["a.bin", "b.bin", "c/d.bin", "e.txt", "l"])
        #expect(ingest.filesRead == 4)

        for i in 0 ... Snapshotter.largestFirstLimit { dir.write("many/\(i).txt", "\(i)") }
        let many = try TreeScanner.scan(dir.at("many"))
        #expect(Snapshotter.largestFirst(many, baseFd: fd, cache: StatCache.Entries()) == nil)
    }

    @Test func aSingleFileIsASnapshotOfOneEntry() throws {
        let dir = TempDirectory()
        dir.write("report.json", "{\"rmse\": 0.5}")
        let ingest = try snapshot(dir, "report.json")
        #expect(ingest.manifest.entries.map(\.path) == ["report.json"])
    }

    @Test func statCacheSkipsUnchangedFilesAndRereadsChangedOnes() throws {
        let dir = TempDirectory()
        let old = Date(timeIntervalSinceNow: -3600)
        for name in ["a.csv", "b.txt"] {
            dir.write("t/\(name)", "id\n1\n")
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir.at("t/\(name)"))
        }
        let first = try snapshot(dir, "t")
        #expect(first.filesRead == 2)
        // ctime is "now" after setAttributes, so nothing is cached until it ages past the racy window.
        #expect(first.cache.isEmpty)
        // Pretend the files were committed long ago: the cache entries are trusted.
        var aged = [String: CachedFile]()
        for e in first.manifest.entries {
            var st = stat()
            lstat(dir.at("t/\(e.path)"), &st)
            aged[e.path] = CachedFile(size: UInt64(st.st_size), mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                                      ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                                      inode: UInt64(st.st_ino), device: UInt64(st.st_dev), object: e.object, table: first.tables[e.path])
        }
        let second = try snapshot(dir, "t", cache: aged)
        #expect(second.filesRead == 0)
        #expect(second.filesFromCache == 2)
        #expect(second.tables["a.csv"]?.rows == 1)
        #expect(second.manifest.id == first.manifest.id)
        #expect(!second.cacheChanged)
        // Same size, same mtime, new content: ctime moves, so the file is read again.
        dir.write("t/b.txt", "id\n2\n")
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir.at("t/b.txt"))
        let third = try snapshot(dir, "t", cache: aged)
        #expect(third.filesRead == 1)
        #expect(third.cacheChanged)
        #expect(third.manifest.id != first.manifest.id)
        // The hit carries over; the re-read file is too recent to be cached.
        #expect(third.cache == ["a.csv": aged["a.csv"]!])
        // A cached file that became a link, and one that is gone, leave the cache.
        try FileManager.default.removeItem(atPath: dir.at("t/b.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir.at("t/b.txt"), withDestinationPath: "a.csv")
        let linked = try snapshot(dir, "t", cache: aged)
        #expect(linked.filesRead == 0 && linked.filesFromCache == 1 && linked.cacheChanged)
        #expect(linked.cache == ["a.csv": aged["a.csv"]!])
        try FileManager.default.removeItem(atPath: dir.at("t/b.txt"))
        let removed = try snapshot(dir, "t", cache: aged)
        #expect(removed.cacheChanged && removed.cache == ["a.csv": aged["a.csv"]!])
    }

    /// Whole-second timestamps (FAT, ext3) keep a file out of the cache for 2 s after a
    /// change; nanosecond ones for 100 ms, so a tree written a moment ago is cached.
    @Test func theRacyWindowFollowsTheTimestampsResolution() throws {
        var coarse = stat(), fine = stat()
        coarse.st_mtim = timespec(tv_sec: 1_700_000_000, tv_nsec: 0)
        coarse.st_ctim = timespec(tv_sec: 1_700_000_000, tv_nsec: 0)
        fine.st_mtim = timespec(tv_sec: 1_700_000_000, tv_nsec: 0)
        fine.st_ctim = timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789)
        #expect(Snapshotter.racyWindowNs(coarse) == 2_000_000_000)
        #expect(Snapshotter.racyWindowNs(fine) == 100_000_000)

        let dir = TempDirectory()
        dir.write("t/a.txt", "a")
        #expect(try snapshot(dir, "t").cache.isEmpty, "changed just now: racy")
        var st = stat()
        lstat(dir.at("t/a.txt"), &st)
        try #require(st.st_ctim.tv_nsec != 0, "this test needs a filesystem with nanosecond timestamps")
        Thread.sleep(forTimeInterval: 0.25)
        #expect(try snapshot(dir, "t").cache.keys.sorted() == ["a.txt"], "older than 100 ms: cached")
    }
}

@Suite struct TreeScannerTests {
    /// The scan lists paths in manifest order (UTF-8 bytes of the whole path), so a commit's
    /// manifest needs no sort: a directory sorts as if its name ended in '/', after `a-b`,
    /// `a.txt` ('-' and '.' are below '/') and before `a0`.
    @Test func listsPathsInManifestOrder() throws {
        let dir = TempDirectory()
        for path in ["t/a/x", "t/a/b/y", "t/a-b", "t/a.txt", "t/a0", "t/B", "t/é", "t/a/b-c"] { dir.write(path, "x") }
        let paths = try TreeScanner.scan(dir.at("t")).entries.map(\.path)
        #expect(paths == ["B", "a-b", "a.txt", "a/b-c", "a/b/y", "a/x", "a0", "é"])
        #expect(paths == paths.sorted { String.utf8Precedes($0, $1) })
    }

    /// Directories are listed on all cores and joined afterwards: a wide, deep tree comes out
    /// whole and in manifest order, the same as a one-thread walk of it sorted.
    @Test func aWideDeepTreeIsListedWholeAndInOrder() throws {
        let dir = TempDirectory()
        var written = [String]()
        for i in 0 ..< 24 {
            for j in 0 ..< 5 {
                for path in ["d\(i)/s\(j)/f.txt", "d\(i)/s\(j)/deep/er/f\(j).csv", "d\(i)/s\(j)-x", "d\(i)/f\(j)"] {
                    dir.write("t/" + path, "x")
                    written.append(path)
                }
            }
        }
        dir.write("t/empty/.keep", "")
        written.append("empty/.keep")
        let scanned = try TreeScanner.scan(dir.at("t")).entries
        #expect(scanned.map(\.path) == written.sorted { String.utf8Precedes($0, $1) })
        #expect(scanned.allSatisfy { $0.isRegular })
    }

    /// A name that is not UTF-8 cannot be a manifest path: the scan stops with an error that
    /// names the directory it is in, wherever in the tree it is.
    @Test func aNameThatIsNotUTF8IsRefusedWithItsDirectory() throws {
        let dir = TempDirectory()
        for i in 0 ..< 30 { dir.write("t/d\(i)/ok.txt", "x") }
        let bad = Array(dir.at("t/d17/bad").utf8) + [0xFF, 0]
        let fd = bad.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        try #require(fd >= 0)
        close(fd)
        let error = #expect(throws: StoreError.self) { try TreeScanner.scan(dir.at("t")) }
        #expect(error.map { "\($0)".contains(dir.at("t/d17") + "/bad") } == true, "\(String(describing: error))")
    }
}

@Suite struct StatCacheTests {
    let entry = CachedFile(size: 6, mtimeNs: 1_700_000_000_123_456_789, ctimeNs: -5, inode: .max, device: 42,
                           object: SHA256Hasher.hash(Array("hello\n".utf8)), table: nil)

    @Test func savedEntriesLoadBack() throws {
        let dir = TempDirectory()
        try ObjectStore.create(at: dir.at(".lake"))
        let cache = StatCache(lakeDirectory: dir.at(".lake"), root: "/data/run é")
        var table = entry
        table.table = TableProfile(rows: 12, columns: ["id", "naïve \"name\"", ""], parseErrors: 3)
        var empty = entry
        empty.table = TableProfile(rows: 0, columns: [], parseErrors: 0)
        let saved = ["a.txt": entry, "sub/b.csv": table, "c.jsonl": empty, "new\nline": entry, "é/ü": entry]
        cache.save(saved)
        let loaded = cache.load()
        #expect(loaded.count == saved.count)
        for (path, e) in saved { #expect(loaded[path] == e, "\(path)") }
        #expect(loaded["b.csv"] == nil && loaded["sub"] == nil && loaded["a.tx"] == nil, "only whole paths match")
        #expect(StatCache(lakeDirectory: dir.at(".lake"), root: "/data/other").load().count == 0, "each root has its own file")
    }

    /// Entries are checked only when asked for: one that cannot be trusted is a miss (a
    /// re-read), and the others still serve.
    @Test func anEntryThatCannotBeTrustedIsAMiss() throws {
        let dir = TempDirectory()
        try ObjectStore.create(at: dir.at(".lake"))
        let cache = StatCache(lakeDirectory: dir.at(".lake"), root: "/r")
        var table = entry
        table.table = TableProfile(rows: 1, columns: ["zz"], parseErrors: 0)
        cache.save(["t.csv": table])
        var bytes = Array(FileManager.default.contents(atPath: cache.path)!)
        let one = bytes[(StatCache.magic.count + 8 + 2)...]
        // The same entry twice: which one holds is unknown, so neither is used.
        try Data(bytes + one).write(to: URL(fileURLWithPath: cache.path))
        #expect(cache.load().count == 2)
        #expect(cache.load()["t.csv"] == nil)
        // A column name that is not UTF-8 spoils its own entry only.
        cache.save(["t.csv": table, "a.txt": entry])
        bytes = Array(FileManager.default.contents(atPath: cache.path)!)
        let column = bytes.indices.dropLast().first { bytes[$0] == UInt8(ascii: "z") && bytes[$0 + 1] == UInt8(ascii: "z") }!
        bytes[column] = 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: cache.path))
        #expect(cache.load()["t.csv"] == nil)
        #expect(cache.load()["a.txt"] == entry)
    }

    @Test func aDamagedCacheIsIgnored() throws {
        let dir = TempDirectory()
        try ObjectStore.create(at: dir.at(".lake"))
        let cache = StatCache(lakeDirectory: dir.at(".lake"), root: "/r")
        cache.save(["a.txt": entry])
        truncate(cache.path, 40)
        #expect(cache.load().count == 0 && cache.load()["a.txt"] == nil)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: cache.path))
        #expect(cache.load().count == 0)
    }
}

@Suite struct CheckoutTests {
    /// Big files are written first, largest first, so no thread copies a big one alone at the
    /// end; the checkout is the same tree whatever the order.
    @Test func bigFilesAreWrittenFirstAndEveryFileArrivesWhole() throws {
        let dir = TempDirectory()
        var random = SeededBytes(seed: 31)
        let sizes = ["a/1.txt": 10, "a/big.bin": 2 << 20, "b.bin": 5 << 20, "c/2.txt": 0, "d.bin": 2 << 20]
        var written: [String: Data] = [:]
        for (path, size) in sizes.sorted(by: { $0.key < $1.key }) {
            written[path] = random.next(size)
            dir.write("t/\(path)", written[path]!)
        }
        try ObjectStore.create(at: dir.at(".lake"))
        let store = ObjectStore(root: dir.at(".lake"))
        let manifest = try Snapshotter(store: store).snapshot(path: dir.at("t"), statCache: nil, batch: ObjectBatch(store: store)).manifest
        try store.syncWritten()
        #expect(Checkout.largeFirst(manifest.entries).map { manifest.entries[$0].path } == ["b.bin", "a/big.bin", "d.bin", "a/1.txt", "c/2.txt"])
        _ = try Checkout.run(manifest, store: store, into: dir.at("out"), mode: .copy)
        for (path, bytes) in written {
            #expect(FileManager.default.contents(atPath: dir.at("out/\(path)")) == bytes, "\(path) came out whole")
        }
    }
}
