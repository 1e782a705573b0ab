import Foundation
import LakeTestSupport
import Testing

/// Two lakes sharing one through a real S3 server on 127.0.0.1 (scripts/test.sh starts Ceph
/// RGW and moto; RGW checks signatures and compare-and-swap, so the races run there).
@Suite struct RemoteTests {
    /// A lake with a remote on a fresh bucket of `server`, reached at `endpoint` (the server's
    /// own unless given).
    struct Side {
        let w: CLIWorkspace
        let server: S3TestServer
        let url: String

        init(_ server: S3TestServer, url: String? = nil, initialize: Bool = true, endpoint: String? = nil) throws {
            self.server = server
            self.url = try url ?? "s3://\(server.makeBucket())/team/lake"
            w = try CLIWorkspace(initialize: initialize)
            if initialize {
                let r = try lake("remote", "add", "origin", self.url, "--endpoint", endpoint ?? server.endpoint)
                precondition(r.status == 0, r.stderr)
            }
        }

        @discardableResult
        func lake(_ args: String..., actor: String = "tester") throws -> LakeCLI.Result {
            try w.lake(args, environment: server.environment.merging(["LAKE_ACTOR": actor]) { $1 })
        }

        func start(_ args: String..., actor: String = "tester") throws -> LakeCLI.Running {
            try LakeCLI.start(args, cwd: w.path, environment: server.environment.merging(["LAKE_ACTOR": actor]) { $1 })
        }

        func json(_ args: String...) throws -> [String: Any] {
            let r = try w.lake(["--json"] + args, environment: server.environment)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return LakeCLI.json(r) as? [String: Any] ?? [:]
        }

        /// Keys under the remote's prefix + `under`.
        func keys(_ under: String) throws -> [String] {
            let (bucket, prefix) = bucketAndPrefix
            let r = try server.request(method: "GET", path: "/\(bucket)?list-type=2&prefix=\(prefix)%2F\(under.replacingOccurrences(of: "/", with: "%2F"))")
            #expect(r.status == 200)
            let xml = String(decoding: r.body, as: UTF8.self)
            return xml.components(separatedBy: "<Key>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        }

        var bucketAndPrefix: (String, String) {
            let rest = url.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            return (bucket, String(rest.dropFirst(bucket.count + 1)).replacingOccurrences(of: "/", with: "%2F"))
        }
    }

    /// Machine A commits, runs a transform and pushes; machine B clones the catalog only,
    /// reads lineage, checks out a file fetched on demand and promotes; A's promote of the same
    /// ref then loses (exit 5, naming B), and after a pull A's ref log shows B's move.
    @Test func twoMachinesShareALakeThroughRGW() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        a.w.makeRun("passX_1", rows: 300)
        a.w.dir.write("passX_1/big.bin", Data(repeating: 7, count: 3 << 20))
        #expect(try a.lake("commit", "passX_1", "--dataset", "runs/passX", "--promote", "field/_current/MERGED").status == 0)
        let exec = try a.lake("exec", "--in", "src=runs/passX", "--out", "words=step1/words", "--", "sh", "-c",
                              "cut -d, -f2 \"$LAKE_IN_src/scores.csv\" > \"$LAKE_OUT_words/words.csv\"")
        #expect(exec.status == 0, "\(exec.stderr)")
        let pushed = try a.json("push")
        #expect(pushed["records"] as? Int == 3, "the version, the run (with the version it made) and the ref move: \(pushed)")
        #expect((pushed["refs"] as? [String]) == ["field/_current/MERGED"])
        #expect(try a.keys("objects/").count == 1, "the 3 MiB file is a loose object; the rest went in packs")
        #expect(try !a.keys("packs/").isEmpty && a.keys("journal/").count == 2)
        #expect(try a.json("push")["records"] as? Int == 0, "a second push sends nothing")

        let b = try Side(server, url: a.url, initialize: false)
        let clone = try b.lake("clone", a.url, ".", "--metadata-only", "--endpoint", server.endpoint)
        #expect(clone.status == 0, "\(clone.stderr)")
        #expect(!(b.w.dir.read(".lake/remotes/origin/remote.json") ?? "").contains(server.secretKey), "credentials are never stored")
        let lineage = try b.lake("lineage", "step1/words")
        #expect(lineage.stdout.contains("(runs/passX@1)") && lineage.stdout.contains("succeeded"), "\(lineage.stdout)")
        let rows = try b.lake("query", "SELECT rows FROM snapshot_files WHERE path = 'scores.csv'")
        #expect(rows.stdout.contains("300"), "profiles travel with the catalog: \(rows.stdout)")
        let fsck = try b.lake("fsck")
        #expect(fsck.status == 0 && (fsck.stdout + fsck.stderr).contains("kept only on the remote"), "\(fsck.stdout)\(fsck.stderr)")
        let packsBefore = try FileManager.default.contentsOfDirectory(atPath: b.w.dir.at(".lake/packs")).count
        #expect(try b.lake("checkout", "runs/passX", "out").status == 0)
        #expect(b.w.dir.read("out/scores.csv") == a.w.dir.read("passX_1/scores.csv"), "fetched on demand")
        #expect(FileManager.default.contents(atPath: b.w.dir.at("out/big.bin")) == Data(repeating: 7, count: 3 << 20))
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.w.dir.at(".lake/packs")).count > packsBefore)
        #expect(try b.lake("cat", "step1/words:words.csv").stdout.hasPrefix("word\nw0\n"))

        // A run on B reads an input B has never fetched: exec brings it on demand.
        let run = try b.lake("exec", "--in", "words=step1/words", "--out", "n=step2/count", "--", "sh", "-c",
                             "wc -l < \"$LAKE_IN_words/words.csv\" > \"$LAKE_OUT_n/n.txt\"")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try b.lake("cat", "step2/count:n.txt").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "301")

        b.w.makeRun("passX_2", rows: 10, seed: 2)
        #expect(try b.lake("commit", "passX_2", "--dataset", "runs/passX").status == 0)
        let promoted = try b.lake("promote", "field/_current/MERGED", "runs/passX@2", "--remote", "origin", actor: "bob")
        #expect(promoted.status == 0, "\(promoted.stderr)")

        let lost = try a.lake("promote", "field/_current/MERGED", "step1/words", "--remote", "origin", actor: "ann")
        #expect(lost.status == 5)
        #expect(lost.stderr.contains("moved on remote 'origin' by bob"), "\(lost.stderr)")
        let log = try #require(LakeCLI.json(try a.lake("--json", "log", "field/_current/MERGED")) as? [[String: Any]])
        #expect(log.count == 1, "the lost promote moved nothing here")

        let pulled = try a.json("pull")
        #expect((pulled["refs"] as? [String]) == ["field/_current/MERGED"], "\(pulled)")
        let moves = try #require(LakeCLI.json(try a.lake("--json", "log", "field/_current/MERGED")) as? [[String: Any]])
        #expect(moves.count == 2)
        #expect(moves.map { $0["actor"] as? String } .contains("bob"), "\(moves)")
        #expect(try a.lake("cat", "runs/passX@2:scores.csv").stdout.hasPrefix("word_id,"))
        #expect(try a.lake("fsck").status == 0)
    }

    /// Naming a dataset pushes it with the datasets its runs read, and nothing else; a pull
    /// of a name brings only that.
    @Test func pushAndPullCarryWhatTheyAreNamed() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        a.w.makeRun("r", rows: 5)
        #expect(try a.lake("commit", "r", "--dataset", "raw").status == 0)
        a.w.makeRun("u", rows: 6, seed: 2)
        #expect(try a.lake("commit", "u", "--dataset", "unrelated").status == 0)
        #expect(try a.lake("exec", "--in", "src=raw", "--out", "o=derived", "--", "sh", "-c", "cp \"$LAKE_IN_src/scores.csv\" \"$LAKE_OUT_o/\"").status == 0)
        #expect(try a.lake("promote", "cur", "unrelated").status == 0)
        let pushed = try a.json("push", "origin", "derived")
        #expect(pushed["records"] as? Int == 2, "raw@1 and the run that made derived@1: \(pushed)")
        #expect((pushed["refs"] as? [String]) == [])
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        let datasets = try #require(LakeCLI.json(try b.lake("--json", "ls")) as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(datasets.sorted() == ["derived", "raw"], "\(datasets)")
        #expect(try a.json("push", "--all")["records"] as? Int == 2, "then the rest: unrelated@1 and the ref move")
        #expect(try b.json("pull", "cur")["records"] as? Int == 2, "the ref brings its dataset")
        #expect(try b.lake("cat", "cur:scores.csv").stdout == a.w.dir.read("u/scores.csv"))
    }

    /// Two lakes promote one remote ref at the same moment: exactly one wins on the remote,
    /// and the loser moved nothing, not even locally.
    @Test func concurrentRemotePromotesHaveExactlyOneWinner() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        for i in 1 ... 3 {
            a.w.makeRun("r\(i)", rows: 5, seed: UInt64(i))
            #expect(try a.lake("commit", "r\(i)", "--dataset", "d").status == 0)
        }
        #expect(try a.lake("promote", "cur", "d@1").status == 0)
        #expect(try a.lake("push").status == 0)
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        for _ in 0 ..< 3 {
            let racers = [try a.start("promote", "cur", "d@2", "--remote", "origin", actor: "ann"),
                          try b.start("promote", "cur", "d@3", "--remote", "origin", actor: "bob")]
            let results = racers.map { $0.wait() }
            #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map(\.stderr))")
            #expect(results.filter { $0.status == 5 }.count == 1, "\(results.map(\.stderr))")
            let winner = results[0].status == 0 ? a : b
            let loser = results[0].status == 0 ? b : a
            let remoteTarget = try winner.lake("--json", "log", "cur")
            #expect(try loser.lake("pull").status == 0)
            #expect(try loser.lake("--json", "log", "cur").stdout == remoteTarget.stdout, "after a pull both lakes tell one history")
            #expect(try winner.lake("promote", "cur", "d@1", "--remote", "origin").status == 0)
            #expect(try loser.lake("pull").status == 0)
        }
    }

    /// A push killed while it uploads, run again, completes and sends only what had not
    /// arrived; a clone of the result is whole. The push goes through a relay that stops
    /// forwarding after 40 MB, so the kill always lands in the middle, however busy the machine.
    @Test func aKilledPushResumesWithoutSendingAgainWhatArrived() throws {
        let server = try S3TestServer.radosgw()
        let relay = try StallingRelay(to: server.endpoint, limit: 40 << 20)
        defer { relay.stop() }
        let a = try Side(server, endpoint: relay.endpoint)
        var random = SeededBytes(seed: 9)
        let large = 64
        for i in 0 ..< large { a.w.dir.write("tree/big\(i).bin", random.next(4 << 20)) }
        for i in 0 ..< 400 { a.w.dir.write("tree/small/f\(i).jsonl", "{\"i\":\(i)}\n") }
        #expect(try a.lake("commit", "tree", "--dataset", "d").status == 0)
        let push = try a.start("push")
        #expect(relay.waitUntilStalled(timeout: 300), "the push sent 40 MB")
        push.kill()
        _ = push.wait()
        relay.open()
        // 40 MB through 8 connections: at least 2 of the 4 MB objects whole, at most 10. The
        // server may still be storing the last of them: count until the count holds.
        var arrived = -1
        while true {
            let count = try a.keys("objects/").count
            if count == arrived { break }
            arrived = count
            usleep(200_000)
        }
        #expect(arrived >= 2 && arrived <= 10, "killed halfway: \(arrived) of \(large) large objects arrived")
        #expect(try a.keys("journal/").isEmpty, "no catalog record before its objects")
        let resumed = try a.json("push")
        let sent = try #require(resumed["objects"] as? Int)
        #expect(sent <= large - arrived + 401, "only what had not arrived (the other large ones; the small ones and the manifest, in packs): \(resumed)")
        #expect(sent >= large - arrived, "\(resumed)")
        #expect(try a.keys("objects/").count == large)
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        #expect(try b.lake("checkout", "d", "out").status == 0)
        let diff = try b.w.sh("diff -r out \(a.w.dir.at("tree"))")
        #expect(diff.status == 0, "\(diff.stdout)")
        #expect(try b.lake("fsck").status == 0)
    }

    /// Bytes damaged on the server are refused on pull (exit 6, naming the key), and the
    /// clone that met them leaves nothing behind.
    @Test func aCorruptedRemoteObjectIsDetectedOnPull() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        a.w.dir.write("t/big.bin", Data(repeating: 1, count: 2 << 20))
        a.w.dir.write("t/small.txt", "hello\n")
        #expect(try a.lake("commit", "t", "--dataset", "d").status == 0)
        #expect(try a.lake("push").status == 0)
        let key = try #require(try a.keys("objects/").first)
        let put = try server.request(method: "PUT", path: "/\(a.bucketAndPrefix.0)/\(key)", body: Data(repeating: 2, count: 2 << 20))
        #expect(put.status == 200)
        let b = try Side(server, url: a.url, initialize: false)
        let clone = try b.lake("clone", a.url, ".", "--endpoint", server.endpoint)
        #expect(clone.status == 6, "\(clone.stderr)")
        #expect(clone.stderr.contains(String(key.suffix(64))) && clone.stderr.contains("damaged"), "\(clone.stderr)")
        #expect(!FileManager.default.fileExists(atPath: b.w.dir.at(".lake")), "a failed clone leaves no lake")

        let c = try Side(server, url: a.url, initialize: false)
        #expect(try c.lake("clone", a.url, ".", "--metadata-only", "--endpoint", server.endpoint).status == 0)
        let cat = try c.lake("cat", "d:big.bin")
        #expect(cat.status == 6 && cat.stdoutData.isEmpty, "nothing of the damaged object is served: \(cat.stderr)")
        #expect(try c.lake("cat", "d:small.txt").stdout == "hello\n")
    }

    /// Commits runs `r1` and `r2` as versions 1 and 2 of `dataset`.
    func twoVersions(of dataset: String, in side: Side) throws {
        side.w.makeRun("r1", rows: 50)
        #expect(try side.lake("commit", "r1", "--dataset", dataset).status == 0)
        side.w.makeRun("r2", rows: 60, seed: 2)
        #expect(try side.lake("commit", "r2", "--dataset", dataset).status == 0)
    }

    /// Retention archives travel too: a clone lists them in its index and restores from them.
    @Test func archivesArePushedAndListed() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        try twoVersions(of: "runs/p", in: a)
        let archived = try a.lake("archive", "runs/p@1")
        #expect(archived.status == 0, "\(archived.stderr)")
        #expect(try a.lake("gc").status == 0)
        let pushed = try a.json("push")
        #expect(pushed["archives"] as? Int == 1, "\(pushed)")
        #expect(try a.keys("archives/").count == 2, "the archive and the remote's archives/index.jsonl")
        let index = try server.request(method: "GET", path: "/\(a.url.dropFirst(5))/archives/index.jsonl")
        let line = String(decoding: index.body, as: UTF8.self)
        #expect(index.status == 200 && line.contains("\"dataset\":\"runs/p\"") && line.contains("\"version\":1"), "\(line)")
        #expect(line == a.w.dir.read(".lake/archives/index.jsonl"), "the same lines as the lake's own index")
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        #expect((b.w.dir.read(".lake/archives/index.jsonl") ?? "").contains("\"dataset\":\"runs/p\""))
        let restored = try b.lake("checkout", "runs/p@1", "out", "--restore")
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(b.w.dir.read("out/scores.csv") == a.w.dir.read("r1/scores.csv"))
    }

    /// Two lakes that archive one version on the same day give their archives one name, and
    /// different bytes when they compress differently (here the level; or another zstd
    /// release, another retention policy). The remote keeps the archive pushed
    /// first; the other lake keeps its own, through its push and its pull; a third lake gets
    /// the remote's. Each lake's archive file matches its record, so gc drops the archived
    /// objects and a restore reads them back.
    @Test func twoLakesArchivingOneVersionOnOneDayEachKeepAnArchiveThatMatches() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        try twoVersions(of: "runs/p", in: a)
        #expect(try a.lake("commit", "r1", "--dataset", "runs/q").status == 0)
        #expect(try a.lake("push").status == 0)
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        #expect(try a.lake("archive", "runs/p@1").status == 0)
        #expect(try b.lake("archive", "runs/p@1", "--level", "9").status == 0)
        // runs/q@1 holds the same snapshot, so A's record of it names A's file of runs/p@1.
        #expect(try a.lake("archive", "runs/q@1").status == 0)
        let line = try #require(a.w.dir.read(".lake/archives/index.jsonl")?.split(separator: "\n").first)
        let path = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["archive"] as? String)
        #expect(a.w.dir.read(".lake/archives/index.jsonl")?.components(separatedBy: "\"archive\":\"\(path)\"").count == 3, "q@1 shares p@1's file")
        let bytes = [a, b].map { FileManager.default.contents(atPath: $0.w.dir.at(".lake/" + path)) }
        try #require(bytes[0] != nil && bytes[1] != nil && bytes[0] != bytes[1], "one name, two archives")
        #expect(try a.json("push")["archives"] as? Int == 1)
        #expect(try b.json("push")["archives"] as? Int == 0, "the remote has an archive of that version")
        let index = try server.request(method: "GET", path: "/\(a.url.dropFirst(5))/archives/index.jsonl")
        #expect(String(decoding: index.body, as: UTF8.self) == a.w.dir.read(".lake/archives/index.jsonl"),
                "the remote lists the archives it has, A's")
        #expect(try b.lake("pull").status == 0)
        let c = try Side(server, url: a.url, initialize: false)
        #expect(try c.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        #expect(FileManager.default.contents(atPath: c.w.dir.at(".lake/" + path)) == bytes[0])
        for side in [a, b, c] {
            let gc = try side.lake("gc", "--grace", "0s")
            #expect(gc.status == 0 && !gc.stderr.contains("does not match"), "\(gc.stderr)")
            for (target, out) in [("runs/p@1", "out"), ("runs/q@1", "outq")] {
                let restored = try side.lake("checkout", target, out, "--restore")
                #expect(restored.status == 0, "\(restored.stderr)")
                #expect(side.w.dir.read(out + "/scores.csv") == a.w.dir.read("r1/scores.csv"))
            }
            #expect(try side.lake("fsck").status == 0)
        }
        // B loses its archive: a pull brings the remote's, whose record replaces B's.
        let lost = b.w.dir.at(".lake/" + path)
        try FileManager.default.removeItem(atPath: lost)
        #expect(try b.json("pull")["archives"] as? Int == 1)
        #expect(FileManager.default.contents(atPath: lost) == bytes[0])
        #expect(try b.lake("checkout", "runs/p@1", "again", "--restore").status == 0)
        #expect(try b.lake("fsck").status == 0)
    }

    /// Two lakes that each made a version 2 of one dataset cannot both be right: the second
    /// push and the pull that would merge them refuse, name the version, and change nothing.
    @Test func divergentVersionsAreRefusedWhole() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        a.w.makeRun("r1", rows: 3)
        #expect(try a.lake("commit", "r1", "--dataset", "d").status == 0)
        #expect(try a.lake("push").status == 0)
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        a.w.makeRun("r2", rows: 4, seed: 2)
        #expect(try a.lake("commit", "r2", "--dataset", "d").status == 0)
        b.w.makeRun("r2", rows: 5, seed: 3)
        #expect(try b.lake("commit", "r2", "--dataset", "d").status == 0)
        #expect(try b.lake("push").status == 0)
        let journal = try a.keys("journal/")
        let push = try a.lake("push")
        #expect(push.status == 5)
        #expect(push.stderr.contains("d@2 is sha256:") && push.stderr.contains("nothing was pushed"), "\(push.stderr)")
        #expect(try a.keys("journal/") == journal, "the refused push appended nothing")
        let before = try CatalogDump.dump(a.w.dir.at(".lake/catalog.sqlite"))
        let pull = try a.lake("pull")
        #expect(pull.status == 5 && pull.stderr.contains("d@2"), "\(pull.stderr)")
        #expect(try CatalogDump.dump(a.w.dir.at(".lake/catalog.sqlite")) == before, "a refused pull merges nothing")
    }

    /// A push that died after moving a ref but before appending its moves to the journal
    /// (simulated by deleting that batch) loses nothing: the ref object carries the moves, a
    /// clone takes them from there, and the next push appends them again.
    @Test func refMovesSurviveAPushThatDiedBeforeItsLastBatch() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        for i in 1 ... 2 {
            a.w.makeRun("r\(i)", rows: 3, seed: UInt64(i))
            #expect(try a.lake("commit", "r\(i)", "--dataset", "d").status == 0)
            #expect(try a.lake("promote", "cur", "d@\(i)").status == 0)
        }
        #expect(try a.lake("push").status == 0)
        let batches = try a.keys("journal/")
        #expect(batches.count == 2, "versions, then the ref moves")
        #expect(try server.request(method: "DELETE", path: "/\(a.url.dropFirst(5))/\(batches[1].split(separator: "/", maxSplits: 2).last!)").status == 204)
        // A died push never wrote the batch, so never cached it either.
        try FileManager.default.removeItem(atPath: a.w.dir.at(".lake/remotes/origin/journal/000000000002.jsonl"))
        let b = try Side(server, url: a.url, initialize: false)
        let clone = try b.lake("clone", a.url, ".", "--endpoint", server.endpoint)
        #expect(clone.status == 0, "\(clone.stderr)")
        let moves = try #require(LakeCLI.json(try b.lake("--json", "log", "cur")) as? [[String: Any]])
        #expect(moves.count == 2, "both moves, from the ref object: \(moves)")
        #expect(try a.json("push")["records"] as? Int == 2, "the next push appends the lost moves")
        #expect(try a.keys("journal/").count == 2)
    }

    /// A lake with a remote it does not fetch from still restores archived snapshots from
    /// their archives; a plain pull makes a metadata-only clone whole.
    @Test func onDemandFetchIsOnlyForMetadataOnlyLakes() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        a.w.makeRun("r1", rows: 30)
        #expect(try a.lake("commit", "r1", "--dataset", "p").status == 0)
        #expect(try a.lake("push").status == 0)
        a.w.makeRun("r2", rows: 40, seed: 2)
        #expect(try a.lake("commit", "r2", "--dataset", "p").status == 0)
        #expect(try a.lake("archive", "p@2").status == 0)
        #expect(try a.lake("gc", "--grace", "0s").status == 0)
        let cat = try a.lake("cat", "p@2:scores.csv", "--restore")
        #expect(cat.status == 0 && cat.stdout == a.w.dir.read("r2/scores.csv"), "\(cat.stderr)")

        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--metadata-only", "--endpoint", server.endpoint).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.w.dir.at(".lake/objects")).isEmpty)
        #expect(b.w.dir.read(".lake/remotes/origin/remote.json")?.contains("fetchOnDemand") == true)
        let pulled = try b.json("pull")
        #expect(pulled["objects"] as? Int == 3, "the three files of p@1: \(pulled)")
        #expect(b.w.dir.read(".lake/remotes/origin/remote.json")?.contains("fetchOnDemand") == false, "whole now: reads need the remote no more")
        let fsck = try b.lake("fsck")
        #expect(fsck.status == 0 && !(fsck.stdout + fsck.stderr).contains("only on the remote"), "\(fsck.stdout)")
    }

    /// moto, a second S3 implementation: the plain round trip works there too.
    @Test func pushAndCloneOnMoto() throws {
        let server = try S3TestServer.moto()
        let a = try Side(server)
        a.w.makeRun("r", rows: 20)
        #expect(try a.lake("commit", "r", "--dataset", "d", "--promote", "cur").status == 0)
        #expect(try a.lake("push").status == 0)
        let b = try Side(server, url: a.url, initialize: false)
        #expect(try b.lake("clone", a.url, ".", "--endpoint", server.endpoint).status == 0)
        #expect(b.w.dir.read(".lake/journal.jsonl")?.components(separatedBy: "\n").count == 3)
        #expect(try b.lake("cat", "cur:scores.csv").stdout == a.w.dir.read("r/scores.csv"))
    }

    @Test func badCredentialsAndBadRemotesAreNamed() throws {
        let server = try S3TestServer.radosgw()
        let a = try Side(server)
        a.w.makeRun("r", rows: 2)
        #expect(try a.lake("commit", "r", "--dataset", "d").status == 0)
        let started = Date()
        let wrong = try a.w.lake(["push"], environment: ["AWS_ACCESS_KEY_ID": server.accessKey, "AWS_SECRET_ACCESS_KEY": "wrong",
                                                         "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("refused the credentials") && wrong.stderr.contains("SignatureDoesNotMatch"), "\(wrong.stderr)")
        #expect(Date().timeIntervalSince(started) < 5, "a 403 is not retried")
        let none = try a.w.lake(["push"], environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"])
        #expect(none.status == 2 && none.stderr.contains("no S3 credentials"), "\(none.stderr)")
        // libcurl is loaded when a remote is first needed; without it only remotes fail.
        let noCurl = try a.w.lake(["push"], environment: server.environment.merging(["LAKE_LIBCURL": "/nonexistent/libcurl.so.4"]) { $1 })
        #expect(noCurl.status == 1 && noCurl.stderr.contains("/nonexistent/libcurl.so.4") && noCurl.stderr.contains("apt-get install libcurl4"),
                "\(noCurl.stderr)")
        #expect(try a.w.lake(["log", "d"], environment: ["LAKE_LIBCURL": "/nonexistent/libcurl.so.4"]).status == 0)

        #expect(try a.lake("remote", "add", "origin", "s3://other/x").status == 5, "a name in use")
        let badURL = try a.lake("remote", "add", "x", "http://bucket/x")
        #expect(badURL.status == 2 && badURL.stderr.contains("s3://BUCKET/PREFIX"))
        #expect(try a.lake("remote", "add", "x", "s3://B_d/x").status == 2, "not a bucket name")
        #expect(try a.lake("push", "nosuch").status == 4, "neither a remote, a ref nor a dataset")
        let ls = try #require(LakeCLI.json(try a.lake("--json", "remote", "ls")) as? [[String: Any]])
        #expect(ls.count == 1 && ls.first?["url"] as? String == a.url && ls.first?["endpoint"] as? String == server.endpoint)
        #expect(try a.lake("remote", "rm", "origin").status == 0)
        #expect(try a.lake("remote", "rm", "origin").status == 4)
        let noRemote = try a.lake("push")
        #expect(noRemote.status == 2 && noRemote.stderr.contains("lake remote add"), "\(noRemote.stderr)")

        let missing = try Side(server, url: "s3://no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())/x")
        missing.w.makeRun("r", rows: 1)
        #expect(try missing.lake("commit", "r", "--dataset", "d").status == 0)
        let noBucket = try missing.lake("push")
        #expect(noBucket.status == 4 && noBucket.stderr.contains("there is no bucket"), "\(noBucket.stderr)")

        let empty = try Side(server, initialize: false)
        let clone = try empty.lake("clone", "s3://\(server.makeBucket())/nothing", ".", "--endpoint", server.endpoint)
        #expect(clone.status == 1 && clone.stderr.contains("holds no lake"), "\(clone.stderr)")
    }
}
