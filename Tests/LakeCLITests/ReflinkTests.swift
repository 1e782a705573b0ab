import Foundation
import LakeTestSupport
import Testing

/// On a filesystem that shares extents (XFS with reflink, on a loop device made here: the
/// tests run as root), large files are cloned into the store and back out of it: a commit
/// stores a 32 MiB file without taking 32 MiB, and a checkout reflinks it.
@Suite struct ReflinkTests {
    /// Used bytes of the filesystem at `path`.
    func used(_ path: String) throws -> Int {
        var fs = statvfs()
        try #require(statvfs(path, &fs) == 0)
        return Int(fs.f_blocks - fs.f_bfree) * Int(fs.f_frsize)
    }

    /// Mounts a fresh XFS with reflink at `mnt` in `w`; the caller unmounts it.
    func mountXFS(_ w: CLIWorkspace) throws {
        // XFS refuses filesystems under 300 MB; the image is sparse, so it takes little.
        let made = try w.sh("truncate -s 512M xfs.img && mkfs.xfs -q -m reflink=1 xfs.img && mkdir mnt && mount -o loop xfs.img mnt")
        try #require(made.status == 0, "an XFS loop mount (xfsprogs, root): \(made.stderr)")
    }

    @Test func largeFilesAreClonedIntoTheStoreAndOut() throws {
        let w = try CLIWorkspace(initialize: false)
        try mountXFS(w)
        defer { _ = try? w.sh("umount mnt") }
        var random = SeededBytes(seed: 11)
        w.dir.write("mnt/data/big.bin", random.next(32 << 20))
        w.dir.write("mnt/data/small.txt", "packed, not cloned\n")
        #expect(try w.lake("init", "mnt").status == 0)
        #expect(try w.sh("sync").status == 0)
        let before = try used(w.dir.at("mnt"))
        let commit = try w.lake("--lake", "mnt", "commit", "mnt/data", "--dataset", "big")
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(try w.sh("sync").status == 0)
        let grown = try used(w.dir.at("mnt")) - before
        #expect(grown < 8 << 20, "the object shares the file's blocks: the filesystem grew by \(grown) bytes")
        #expect(try w.lake("--lake", "mnt", "fsck").status == 0)

        let checkout = try w.lake("--lake", "mnt", "--json", "checkout", "big", "mnt/out")
        #expect(checkout.status == 0, "\(checkout.stderr)")
        #expect((LakeCLI.json(checkout) as? [String: Any])?["reflinked"] as? Int == 1, "\(checkout.stdout)")
        #expect(try w.sh("cmp mnt/data/big.bin mnt/out/big.bin && cmp mnt/data/small.txt mnt/out/small.txt").status == 0)

        // The stored clone does not follow later writes to the committed file.
        #expect(try w.sh("printf changed | dd of=mnt/data/big.bin bs=1 seek=1000 conv=notrunc status=none").status == 0)
        let cat = try w.lake("--lake", "mnt", "cat", "big:big.bin")
        #expect(cat.status == 0 && cat.stdoutData != FileManager.default.contents(atPath: w.dir.at("mnt/data/big.bin")))
        #expect(try w.lake("--lake", "mnt", "fsck").status == 0)
    }

    /// A grown ledger's new bytes are stored from where the previous version ends: a clone is
    /// of the whole file, and cloning it once made the tail segment the whole file, so the
    /// version read as missing once its loose copy was dropped. The tail is copied.
    @Test func aGrownLedgersTailIsStoredFromItsPreviousEnd() throws {
        let w = try CLIWorkspace(initialize: false)
        try mountXFS(w)
        defer { _ = try? w.sh("umount mnt") }
        func lines(_ range: Range<Int>) -> String { range.map { "{\"id\":\($0),\"text\":\"\(String(repeating: "x", count: 90))\"}\n" }.joined() }
        let first = lines(0 ..< 30_000), grown = first + lines(30_000 ..< 42_000)   // 3 MB, then a 1.2 MB tail
        w.dir.write("mnt/ledger/passed.jsonl", first)
        #expect(try w.lake("init", "mnt").status == 0)
        #expect(try w.lake("--lake", "mnt", "commit", "mnt/ledger", "--dataset", "l", "--kind", "ledger").status == 0)
        w.dir.write("mnt/ledger/passed.jsonl", grown)
        let commit = try w.lake("--lake", "mnt", "commit", "mnt/ledger", "--dataset", "l")
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(try w.sh("ls mnt/.lake/objects/*/*.segments").status == 0, "stored as segments")
        for (version, text) in [(1, first), (2, grown)] {
            let cat = try w.lake("--lake", "mnt", "cat", "l@\(version):passed.jsonl")
            #expect(cat.status == 0 && cat.stdoutData == Data(text.utf8), "l@\(version): \(cat.stderr)")
        }
        let fsck = try w.lake("--lake", "mnt", "fsck")
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    }
}
