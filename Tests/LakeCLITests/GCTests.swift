import Foundation
import LakeCore
import LakeKit
import LakeTestSupport
import Testing

@Suite struct GCTests {
    /// Three versions with a large and a small file each; the first two archived by a policy.
    func archivedLake() throws -> CLIWorkspace {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 21)
        for i in 1 ... 3 {
            w.dir.write("p\(i)/rows.csv", "id\n\(i)\n")
            w.dir.write("p\(i)/big.bin", random.next(2 << 20))
            #expect(try w.lake("commit", "p\(i)", "--dataset", "runs/passX").status == 0)
        }
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"runs/*\"\n    keep_last: 1\n")
        #expect(try w.lake("retention", "apply", "--policy", "policy.yaml").status == 0)
        return w
    }

    @Test func gcDropsOnlyArchivedAndUnreferencedObjectsAndRestoreBringsThemBack() throws {
        let w = try archivedLake()
        let dry = try #require(LakeCLI.json(try w.lake("--json", "gc", "--dry-run", "--grace", "0s")) as? [String: Any])
        let wouldDrop = try #require(dry["dropped"] as? [[String: Any]])
        #expect(wouldDrop.count == 4, "two files of each archived version")
        #expect(wouldDrop.allSatisfy { $0["why"] as? String == "only in archived snapshots" })
        #expect(try w.lake("cat", "runs/passX@1:big.bin").stdoutData.count == 2 << 20, "a dry run drops nothing")
        #expect(try w.lake("gc").stdout.contains("dropped 0 objects"), "the default grace keeps today's objects")
        let gc = try w.lake("gc", "--grace", "0s")
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("dropped 4 objects"))
        #expect(try w.lake("cat", "runs/passX@3:big.bin").stdoutData == FileManager.default.contents(atPath: w.dir.at("p3/big.bin")), "live versions are whole")
        let fsck = try w.lake("fsck")
        #expect(fsck.status == 0, "\(fsck.stdout)")
        #expect(fsck.stdout.contains("2 archived snapshot(s) are kept only in their archives"))
        let refused = try w.lake("cat", "runs/passX@1:big.bin")
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("is archived in archives/") && refused.stderr.contains("--restore"))
        let out = try w.lake("checkout", "runs/passX@2", "two", "--restore")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: w.dir.at("two/big.bin"), andPath: w.dir.at("p2/big.bin")))
        #expect(try w.lake("cat", "runs/passX@1:rows.csv", "--restore").stdout == "id\n1\n")
        #expect(try w.lake("fsck").stdout.contains("no problems"))
    }

    /// gc drops an archived version's objects only while its archive is there and hashes to
    /// its record: a moved or damaged archive keeps them, and gc says which.
    @Test func gcKeepsWhatOnlyAMissingOrDamagedArchiveWouldHold() throws {
        let w = try archivedLake()
        let index = try #require(w.dir.read(".lake/archives/index.jsonl"))
        let lines = try index.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let paths = try lines.map { try #require($0["archive"] as? String) }
        #expect(paths.count == 2)
        let (moved, damaged) = (w.dir.at(".lake/" + paths[0]), w.dir.at(".lake/" + paths[1]))
        #expect(rename(moved, moved + ".away") == 0)
        let original = try #require(FileManager.default.contents(atPath: damaged))
        var bytes = original
        bytes[bytes.count / 2] ^= 0x01
        chmod(damaged, 0o644)
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let result = try w.lake("--json", "gc", "--grace", "0s")
        let gc = try #require(LakeCLI.json(result) as? [String: Any])
        #expect((gc["dropped"] as? [Any])?.isEmpty == true, "\(gc)")
        #expect(Set(gc["archives_unusable"] as? [String] ?? []) == Set(paths))
        #expect(try w.lake("gc", "--grace", "0s").stderr.contains("is missing or does not match its record"))
        // One put back, the other archived again: then their objects go.
        #expect(rename(moved + ".away", moved) == 0)
        let again = try w.lake("archive", "runs/passX@\(try #require(lines[1]["version"] as? Int))")
        #expect(again.status == 0 && again.stdout.contains("archived to"), "\(again.stdout)\(again.stderr)")
        #expect(FileManager.default.contents(atPath: damaged) == original, "written again as it was")
        #expect(try w.lake("gc", "--grace", "0s").stdout.contains("dropped 4 objects"), "both archives back: their objects go")
        #expect(try w.lake("cat", "--restore", "runs/passX@1:rows.csv").stdout == "id\n1\n")
        let fsck = try w.lake("fsck")
        #expect(fsck.status == 0, "\(fsck.stdout)")
    }

    /// An archive record for a version that names another snapshot (a remote's record merged
    /// by a pull) does not make that version archived: gc keeps the version's own objects.
    @Test func anArchiveRecordOfAnotherSnapshotArchivesNothing() throws {
        let w = try archivedLake()
        let lake = try Lake.open(w.dir.at(".lake"))
        var record = try #require(try lake.catalog.archives(of: nil).first { $0.version == 1 })
        record.version = 3
        try lake.catalog.recordArchive(record)
        let gc = try w.lake("gc", "--grace", "0s")
        #expect(gc.status == 0 && gc.stdout.contains("dropped 4 objects"), "only @1's and @2's: \(gc.stdout)")
        #expect(try w.lake("cat", "runs/passX@3:big.bin").stdoutData == FileManager.default.contents(atPath: w.dir.at("p3/big.bin")))
    }

    @Test func mostlyDeadPacksAreRewrittenAndLiveObjectsSurvive() throws {
        let w = try CLIWorkspace()
        for i in 1 ... 20 { w.dir.write("old/f\(i).txt", "old \(i)\n") }
        w.dir.write("old/keep.txt", "kept by the new version\n")
        // On one core, one worker packs all 21 files: on two, how they split between the two
        // workers' packs is a race, and the pack holding keep.txt could hold too few dead
        // objects to be mostly dead (keep.txt is the largest file, so it is taken first).
        #expect(try w.lake(["commit", "old", "--dataset", "d"], prefix: ["/usr/bin/taskset", "-c", "0"]).status == 0)
        w.dir.write("new/keep.txt", "kept by the new version\n")
        #expect(try w.lake("commit", "new", "--dataset", "d").status == 0)
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"*\"\n    keep_last: 1\n")
        #expect(try w.lake("retention", "apply", "--policy", "policy.yaml").status == 0)
        let gc = try #require(LakeCLI.json(try w.lake("--json", "gc", "--grace", "0s")) as? [String: Any])
        #expect((gc["packs_rewritten"] as? Int ?? 0) >= 1, "\(gc)")
        #expect((gc["dropped"] as? [Any])?.count == 20)
        #expect(try w.lake("cat", "d:keep.txt").stdout == "kept by the new version\n")
        #expect(try w.lake("fsck").status == 0)
    }

    /// Commits of one changed file make a pack or two each, and every lookup reads every
    /// pack's index: from 50 small packs on, a commit merges them into one when nothing else is
    /// in flight, and gc does when the commits could not. Every version stays whole.
    @Test func manySmallPacksAreMergedIntoOne() throws {
        let w = try CLIWorkspace()
        func packs() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: w.dir.at(".lake/packs"))) ?? []).filter { $0.hasSuffix(".pack") }.count
        }
        func commit(_ i: Int) throws {
            w.dir.write("t/step.txt", "step \(i)\n")
            w.dir.write("t/same.txt", "unchanged\n")
            #expect(try w.lake("commit", "t", "--dataset", "d").status == 0)
        }
        func everyVersionIsWhole() throws {
            for i in [1, 17, 30] {
                #expect(try w.lake("cat", "d@\(i):step.txt").stdout == "step \(i)\n")
            }
            #expect(try w.lake("cat", "d@1:same.txt").stdout == "unchanged\n")
            let fsck = try w.lake("fsck")
            #expect(fsck.status == 0 && fsck.stdout.contains("no problems"), "\(fsck.stdout)")
        }
        for i in 1 ... 5 { try commit(i) }
        let few = packs()
        #expect(few >= 5)
        #expect(try w.lake("gc", "--grace", "0s").status == 0)
        #expect(packs() == few, "fewer than 50 small packs are left as they are")

        // Another command in flight holds the gc lock shared: the commits leave the packs be.
        // (flock -o: the lock stays with flock, which the kill releases, not with its sleep.)
        let holder = try LakeCLI.start(["-s", "-o", ".lake/gc.lock", "sleep", "60"], cwd: w.path, prefix: ["/usr/bin/flock"], replacingBinary: true)
        let held = try w.sh("for i in $(seq 200); do flock -n .lake/gc.lock true || exit 0; sleep 0.05; done; exit 1")
        try #require(held.status == 0, "flock took the gc lock")
        for i in 6 ... 30 { try commit(i) }
        holder.kill()
        #expect(packs() >= 50)
        let dry = try #require(LakeCLI.json(try w.lake("--json", "gc", "--grace", "0s", "--dry-run")) as? [String: Any])
        #expect((dry["packs_rewritten"] as? Int ?? 0) >= 50, "\(dry)")
        #expect(packs() >= 50, "a dry run merges nothing")
        let gc = try #require(LakeCLI.json(try w.lake("--json", "gc", "--grace", "0s")) as? [String: Any])
        #expect((gc["packs_rewritten"] as? Int ?? 0) >= 50, "\(gc)")
        #expect((gc["dropped"] as? [Any])?.isEmpty == true, "every version is live")
        #expect(packs() == 1)
        try everyVersionIsWhole()

        // Nothing else in flight: the commit that makes the 50th small pack merges them.
        var most = 0
        for i in 31 ... 60 {
            try commit(i)
            most = max(most, packs())
        }
        #expect(most < 50 && packs() < 25, "the packs were merged along the way: at most \(most), now \(packs())")
        try everyVersionIsWhole()
        #expect(try w.lake("cat", "d@60:step.txt").stdout == "step 60\n")
    }

    /// A damaged small pack does not keep the others from being merged after a commit: it is
    /// left as it was, and fsck names it. Damaged in its data (its index reads) or in its
    /// trailer (its index does not read): either way it stays, so undoing the damage brings
    /// its objects back.
    @Test(arguments: [("data", false), ("trailer", true)])
    func aDamagedPackIsLeftOutOfTheMerge(where: String, atEnd: Bool) throws {
        let w = try CLIWorkspace()
        func packs() -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: w.dir.at(".lake/packs"))) ?? []).filter { $0.hasSuffix(".pack") })
        }
        func commit(_ i: Int) throws {
            w.dir.write("t/step.txt", "step \(i)\n")
            #expect(try w.lake("commit", "t", "--dataset", "d").status == 0)
        }
        try commit(1)
        let damaged = try #require(packs().sorted().first)
        let path = w.dir.at(".lake/packs/" + damaged)
        let original = try #require(FileManager.default.contents(atPath: path))
        var bytes = original
        bytes[atEnd ? bytes.count - 1 : 0] ^= 0x01
        chmod(path, 0o644)
        try bytes.write(to: URL(fileURLWithPath: path))
        var (last, merged) = (1, false)
        while !merged, last < 40 {
            let before = packs().count
            last += 1
            try commit(last)
            merged = packs().count < before
        }
        #expect(merged && packs().count <= 3, "the other packs were merged: \(packs().count) packs after \(last) commits")
        #expect(packs().contains(damaged), "the damaged pack is left as it was")
        #expect(try w.lake("cat", "d@\(last):step.txt").stdout == "step \(last)\n")
        let fsck = try w.lake("fsck")
        #expect(fsck.status == 6 && fsck.stdout.contains(damaged), "\(fsck.stdout)")
        try original.write(to: URL(fileURLWithPath: path))
        #expect(try w.lake("cat", "d@1:step.txt").stdout == "step 1\n", "the \(`where`) damage undone, nothing was lost")
        #expect(try w.lake("fsck").status == 0)
    }

    /// A process that read the pack indexes and let go of the gc lock (a run between stages,
    /// an import between entries) writes again after a gc in another process dropped an
    /// object and rewrote its pack: it must not take the object for stored.
    @Test func aWriteAfterAnotherProcessesGcDoesNotTrustWhatItReadBefore() throws {
        let w = try CLIWorkspace()
        let lake = try Lake.open(w.dir.at(".lake"))
        w.dir.write("old/x.txt", "dropped by gc, then committed again\n")
        w.dir.write("old/keep.txt", "kept\n")
        _ = try lake.commit(path: w.dir.at("old"), dataset: DatasetName("runs/a"))
        w.dir.write("new/keep.txt", "kept\n")
        _ = try lake.commit(path: w.dir.at("new"), dataset: DatasetName("runs/a"))
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"runs/*\"\n    keep_last: 1\n")
        #expect(try w.lake("retention", "apply", "--policy", "policy.yaml").status == 0)
        let gc = try w.lake("gc", "--grace", "0s")
        #expect(gc.status == 0 && gc.stdout.contains("dropped 1 object"), "\(gc.stdout)")
        w.dir.write("again/x.txt", "dropped by gc, then committed again\n")
        _ = try lake.commit(path: w.dir.at("again"), dataset: DatasetName("other"))
        let cat = try w.lake("cat", "other:x.txt")
        #expect(cat.status == 0 && cat.stdout == "dropped by gc, then committed again\n", "\(cat.stderr)")
        #expect(try w.lake("fsck").status == 0)
    }

    /// A segment list gc keeps because it is young keeps its parts: a ledger commit that failed
    /// before it was recorded leaves one, and its retry would find it and trust it.
    @Test func aYoungSegmentListKeepsItsParts() throws {
        let w = try CLIWorkspace()
        let text = (0 ..< 12_000).map { "{\"id\":\($0),\"text\":\"\(String(repeating: "x", count: 90))\"}\n" }.joined()
        w.dir.write("ledger/l.jsonl", text)
        #expect(try w.lake("commit", "ledger", "--dataset", "l", "--kind", "ledger").status == 0)
        w.dir.write("ledger/l.jsonl", text + "{\"id\":-1}\n")
        #expect(try w.lake("commit", "ledger", "--dataset", "l").status == 0)
        for v in 1 ... 2 { #expect(try w.lake("archive", "l@\(v)").status == 0) }
        // The first version's object is old, the list of the second young.
        let first = try #require((LakeCLI.json(try w.lake("--json", "show", "l@1")) as? [String: Any])?["files"] as? [[String: Any]])
        let object = try #require(first.first?["object"] as? String)
        let loose = w.dir.at(".lake/objects/\(object.dropFirst(7).prefix(2))/\(object.dropFirst(9))")
        var old = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, loose, &old, AT_SYMLINK_NOFOLLOW) == 0)
        let gc = try #require(LakeCLI.json(try w.lake("--json", "gc", "--grace", "1d")) as? [String: Any])
        let dropped = (gc["dropped"] as? [[String: Any]] ?? []).compactMap { $0["object"] as? String }
        #expect(!dropped.contains(object), "a part of a list gc kept: \(dropped)")
        w.dir.write("again/l.jsonl", text + "{\"id\":-1}\n")
        #expect(try w.lake("commit", "again", "--dataset", "copy").status == 0)
        #expect(try w.lake("cat", "copy:l.jsonl").stdoutData == Data((text + "{\"id\":-1}\n").utf8))
        #expect(try w.lake("fsck").status == 0)
    }

    /// Commits and gc at the same time: a commit in flight never loses an object to gc.
    @Test func commitsRunningDuringGcLoseNothing() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 5)
        for i in 0 ..< 8 {
            for j in 0 ..< 200 { w.dir.write("t\(i)/f\(j).jsonl", "{\"i\":\(i),\"j\":\(j)}\n") }
            w.dir.write("t\(i)/big.bin", random.next(1 << 21))
        }
        let commits = try (0 ..< 8).map { try LakeCLI.start(["commit", "t\($0)", "--dataset", "d\($0)"], cwd: w.path) }
        var gcs = [LakeCLI.Result]()
        for _ in 0 ..< 4 { gcs.append(try w.lake("gc", "--grace", "0s")) }
        let results = commits.map { $0.wait() }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        #expect(gcs.allSatisfy { $0.status == 0 }, "\(gcs.map(\.stderr))")
        #expect(try w.lake("gc", "--grace", "0s").stdout.contains("dropped 0 objects"), "nothing live is garbage")
        #expect(try w.lake("fsck").status == 0)
        for i in 0 ..< 8 {
            #expect(try w.lake("cat", "d\(i):f199.jsonl").stdout == "{\"i\":\(i),\"j\":199}\n")
        }
    }

    @Test func aReproductionRestoresArchivedInputsByItself() throws {
        let w = try CLIWorkspace()
        w.dir.write("raw/words.csv", "id\n1\n2\n")
        #expect(try w.lake("commit", "raw", "--dataset", "source/words").status == 0)
        #expect(try w.lake(["exec", "--in", "w=source/words", "--out", "o=runs/count", "--", "sh", "-c", "wc -l < $LAKE_IN_w/words.csv > $LAKE_OUT_o/n.txt"]).status == 0)
        w.dir.write("raw/words.csv", "id\n1\n2\n3\n")
        #expect(try w.lake("commit", "raw", "--dataset", "source/words").status == 0)
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"source/*\"\n    keep_last: 1\n  - datasets: \"*\"\n    keep_last: 5\n")
        let plan = try w.lake("retention", "apply", "--policy", "policy.yaml")
        #expect(plan.stdout.contains("archive   source/words@1") || plan.stdout.contains("archived archives/"), "\(plan.stdout)")
        #expect(try w.lake("gc", "--grace", "0s").status == 0)
        let again = try w.lake("reproduce", "runs/count")
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
        #expect(again.stdout.contains("identical"))
    }

    @Test func badGcInputIsRefused() throws {
        let w = try CLIWorkspace()
        let r = try w.lake("gc", "--grace", "soon")
        #expect(r.status == 2)
        #expect(r.stderr.contains("--grace takes a duration"))
    }
}

@Suite struct RetentionCrashTests {
    /// SIGKILL at spread-out moments of 'retention apply' (writing, verifying, indexing):
    /// fsck passes each time, and after gc every version is live or archived and restorable.
    @Test func killingRetentionApplyLosesNothing() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 8)
        for i in 1 ... 6 {
            w.dir.write("p\(i)/rows.csv", "id\n\(i)\n")
            w.dir.write("p\(i)/big.bin", random.next(3 << 20))
            #expect(try w.lake("commit", "p\(i)", "--dataset", "runs/passX").status == 0)
        }
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"runs/*\"\n    keep_last: 1\n")
        for step in 0 ..< 6 {
            let running = try LakeCLI.start(["retention", "apply", "--policy", "policy.yaml"], cwd: w.path)
            Thread.sleep(forTimeInterval: 0.05 * Double(step))
            running.kill()
            _ = running.wait()
            let fsck = try w.lake("fsck")
            #expect(fsck.status == 0, "after a kill at step \(step): \(fsck.stdout)")
        }
        #expect(try w.lake("retention", "apply", "--policy", "policy.yaml").status == 0)
        #expect(try w.lake("gc", "--grace", "0s").status == 0)
        #expect(try w.lake("fsck").status == 0)
        for i in 1 ... 6 {
            let r = try w.lake("cat", "runs/passX@\(i):big.bin", "--restore")
            #expect(r.stdoutData == FileManager.default.contents(atPath: w.dir.at("p\(i)/big.bin")), "version \(i)")
        }
    }

    @Test func aMalformedIndexLineIsReportedByFsck() throws {
        let w = try CLIWorkspace()
        w.dir.write("d/a.txt", "a\n")
        #expect(try w.lake("commit", "d", "--dataset", "d").status == 0)
        #expect(try w.lake("archive", "d").status == 0)
        let index = try #require(w.dir.read(".lake/archives/index.jsonl"))
        w.dir.write(".lake/archives/index.jsonl", index + "{\"archive\": 12\n")
        let r = try w.lake("fsck")
        #expect(r.status == 6)
        #expect(r.stdout.contains("archive archives/index.jsonl: line 2 is malformed"), "\(r.stdout)")
    }
}

@Suite struct InvariantTests {
    /// Invariant 5: a resumed job that truncated or rewrote its ledger is refused with what
    /// would be lost; an append is a new version.
    @Test func aLedgerOnlyGrows() throws {
        let w = try CLIWorkspace()
        w.dir.write("q/_ledger/yellow_passed.jsonl", "{\"t\":1}\n{\"t\":2}\n{\"t\":3}\n")
        #expect(try w.lake("commit", "q", "--dataset", "corpus/_ledger", "--kind", "ledger").status == 0)
        w.dir.write("q/_ledger/yellow_passed.jsonl", "{\"t\":1}\n{\"t\":2}\n{\"t\":3}\n{\"t\":4}\n")
        #expect(try w.lake("commit", "q", "--dataset", "corpus/_ledger").status == 0, "an append is fine")
        w.dir.write("q/_ledger/yellow_passed.jsonl", "{\"t\":1}\n")
        let truncated = try w.lake("commit", "q", "--dataset", "corpus/_ledger")
        #expect(truncated.status == 5)
        #expect(truncated.stderr.contains("ledger 'corpus/_ledger' only grows: against version 2, '_ledger/yellow_passed.jsonl' it would lose 24 of its 32 bytes"), "\(truncated.stderr)")
        w.dir.write("q/_ledger/yellow_passed.jsonl", "{\"t\":9}\n{\"t\":2}\n{\"t\":3}\n{\"t\":4}\n{\"t\":5}\n")
        let rewritten = try w.lake("commit", "q", "--dataset", "corpus/_ledger")
        #expect(rewritten.status == 5)
        #expect(rewritten.stderr.contains("rewritten, not appended to"))
        #expect(try w.lake("log", "corpus/_ledger").stdout.contains("@2") && !(try w.lake("log", "corpus/_ledger").stdout.contains("@3")))
        // A run whose ledger output shrank is a failed run, kept for a fix and a resume.
        let run = try w.lake(["exec", "--out", "l=corpus/_ledger:ledger", "--", "sh", "-c", "mkdir -p $LAKE_OUT_l/_ledger; echo '{}' > $LAKE_OUT_l/_ledger/yellow_passed.jsonl"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("outputs refused") && run.stderr.contains("resume with"), "\(run.stderr)")
        #expect(try w.lake("runs", "--status", "failed").stdout.contains("failed"))
    }

    /// A stored loose object damaged in place is healed by restoring its archive: verified
    /// bytes replace the stored file (a commit of the same bytes does not, docs/format.md §6.3).
    @Test func restoreHealsADamagedStoredObject() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 12)
        let big = random.next(2 << 20)
        w.dir.write("d/big.bin", big)
        #expect(try w.lake("commit", "d", "--dataset", "d").status == 0)
        #expect(try w.lake("archive", "d").status == 0)
        let objects = w.dir.at(".lake/objects")
        let fan = try #require(try FileManager.default.contentsOfDirectory(atPath: objects).first)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: objects + "/" + fan).first)
        let path = objects + "/" + fan + "/" + name
        chmod(path, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data([0, 0, 0, 0]))
        try handle.close()
        #expect(try w.lake("cat", "d:big.bin").status == 6)
        #expect(try w.lake("restore", "d").status == 0)
        #expect(try w.lake("cat", "d:big.bin").stdoutData == big)
        #expect(try w.lake("fsck").status == 0)
    }
}
