import Foundation
import LakeKit
import LakeTestSupport
import Testing

@Suite struct ConcurrencyAndCrashTests {
    @Test func twoCommitsOfOneDatasetAtOnceBothGetVersions() throws {
        let w = try CLIWorkspace()
        w.makeRun("a", rows: 2000, seed: 1)
        w.makeRun("b", rows: 2000, seed: 2)
        let one = try LakeCLI.start(["--json", "commit", "a", "--dataset", "runs/passX"], cwd: w.path)
        let two = try LakeCLI.start(["--json", "commit", "b", "--dataset", "runs/passX"], cwd: w.path)
        let results = [one.wait(), two.wait()]
        #expect(results.map(\.status) == [0, 0], "\(results.map(\.stderr))")
        let versions = results.compactMap { ((LakeCLI.json($0) as? [String: Any])?["record"] as? [String: Any])?["version"] as? Int }
        #expect(versions.sorted() == [1, 2])
        #expect(try w.lake("fsck").status == 0)
    }

    @Test func concurrentPromotesWithExpectHaveExactlyOneWinner() throws {
        let w = try CLIWorkspace()
        for i in 0 ..< 7 {
            w.makeRun("r\(i)", rows: 1, seed: UInt64(i))
            #expect(try w.lake("commit", "r\(i)", "--dataset", "field/passG").status == 0)
        }
        #expect(try w.lake("promote", "field/_current/MERGED", "field/passG@1").status == 0)
        let racers = try (2 ... 7).map {
            try LakeCLI.start(["promote", "field/_current/MERGED", "field/passG@\($0)", "--expect", "field/passG@1"], cwd: w.path)
        }
        let results = racers.map { $0.wait() }
        #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map(\.stderr))")
        #expect(results.filter { $0.status == 5 }.count == 5)
        for loser in results where loser.status == 5 {
            #expect(loser.stderr.contains("moved by tester"), "the conflict names the winner's move: \(loser.stderr)")
        }
        let moves = try #require(LakeCLI.json(try w.lake("--json", "log", "field/_current/MERGED")) as? [[String: Any]])
        #expect(moves.count == 2)
    }

    @Test func aHeldLockTimesOutNamingItsHolder() throws {
        let w = try CLIWorkspace()
        w.makeRun("r", rows: 1)
        #expect(try w.lake("commit", "r", "--dataset", "d").status == 0)
        let r = try LakeLock.writer(w.dir.at(".lake")).withLock {
            try w.lake("promote", "x", "d", environment: ["LAKE_LOCK_TIMEOUT": "0.5"])
        }
        #expect(r.status == 5)
        #expect(r.stderr.contains("held by pid \(getpid())"), "\(r.stderr)")
        #expect(w.dir.read(".lake/lock") == "", "a released lock names nobody")
        #expect(try w.lake("refs", "--json").stdout.contains("[\n\n]"))
    }

    /// SIGKILL at spread-out moments of a commit (hashing, packing, syncing, cataloguing):
    /// fsck passes every time and every visible version is whole.
    @Test func killingACommitAtAnyMomentLeavesAValidLake() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 3)
        for i in 0 ..< 1500 { w.dir.write("tree/d\(i % 30)/f\(i).jsonl", "{\"i\":\(i)}\n") }
        for i in 0 ..< 3 { w.dir.write("tree/big\(i).bin", random.next(2 << 20)) }
        let clock = ContinuousClock()
        var full = Duration.zero
        full = clock.measure { _ = try? w.lake("commit", "tree", "--dataset", "probe") }
        var survivors = 0
        for step in 0 ..< 10 {
            w.dir.write("tree/changing.txt", "step \(step)\n")
            w.dir.write("tree/d\(step)/extra.jsonl", String(repeating: "{\"x\":1}\n", count: 100 + step))
            let running = try LakeCLI.start(["commit", "tree", "--dataset", "runs/passX"], cwd: w.path)
            let delay = full * Double(step) / 8
            Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            running.kill()
            let ended = running.wait()
            if ended.status == 0 { survivors += 1 }
            let fsck = try w.lake("fsck")
            #expect(fsck.status == 0, "after a kill at step \(step): \(fsck.stdout) \(fsck.stderr)")
            let log = try w.lake("--json", "log", "runs/passX")
            if log.status == 0, let versions = LakeCLI.json(log) as? [[String: Any]] {
                #expect(versions.map { $0["version"] as? Int } == Array(1 ... versions.count).map { Optional($0) })
                for v in versions {
                    let files = (LakeCLI.json(try w.lake("--json", "show", "runs/passX@\(v["version"] as! Int)")) as? [String: Any])?["files"] as? [Any]
                    #expect(files?.count == v["files"] as? Int, "a visible version lists all its files")
                }
            }
        }
        #expect(survivors < 10, "at least one commit was killed before it finished")
        let after = try w.lake("commit", "tree", "--dataset", "runs/passX")
        #expect(after.status == 0, "the lake takes commits after the kills: \(after.stderr)")
        #expect(try w.lake("fsck").status == 0)
    }

    @Test func aFlippedByteIsFoundByFsckAndNeverServed() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 5)
        var random = SeededBytes(seed: 9)
        w.dir.write("run/big.bin", random.next(2 << 20))
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        #expect(try w.lake("fsck").status == 0)
        let objects = w.dir.at(".lake/objects")
        let fan = try #require(try FileManager.default.contentsOfDirectory(atPath: objects).first)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: objects + "/" + fan).first)
        let path = objects + "/" + fan + "/" + name
        chmod(path, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 1000)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: [byte ^ 0x01])
        try handle.close()
        let fsck = try w.lake("fsck")
        #expect(fsck.status == 6)
        #expect(fsck.stdout.contains("sha256:\(fan)\(name)") && fsck.stdout.contains("corrupt"))
        let snapshotLines = fsck.stdout.split(separator: "\n").filter { $0.hasPrefix("snapshot ") }
        #expect(snapshotLines.count == 1, "the snapshot using it is named once: \(fsck.stdout)")
        #expect(snapshotLines.first?.contains("used by version d@1") == true)
        let json = try #require(LakeCLI.json(try w.lake("--json", "fsck")) as? [String: Any])
        #expect((json["report"] as? [String: Any])?["clean"] as? Bool == false)
        let cat = try w.lake("cat", "d:big.bin")
        #expect(cat.status == 6)
        #expect(cat.stderr.contains("is corrupt"))
        #expect(cat.stdoutData.isEmpty, "not one corrupt byte is served")
        let checkout = try w.lake("checkout", "d", "out")
        #expect(checkout.status == 6)
        #expect(!FileManager.default.fileExists(atPath: w.dir.at("out")), "no partial checkout is left")
    }
}
