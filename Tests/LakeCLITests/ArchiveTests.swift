import Foundation
import LakeTestSupport
import Testing

/// Archives are read back by GNU tar and zstd themselves, and restore refuses damaged and
/// hostile archives naming the entry.
@Suite struct ArchiveTests {
    func tool(_ args: [String], cwd: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// A committed iteration directory with a link, an executable, a long unicode name, names
    /// of one character (Foundation's `deletingLastPathComponent` traps on them) and a large
    /// file; returns the workspace and the archive's path.
    func archived() throws -> (CLIWorkspace, String) {
        let w = try CLIWorkspace()
        let long = String(repeating: "d", count: 120) + "/données é.txt"
        w.dir.write("passX_20261121_101500/ok.jsonl", "{\"id\":1}\n{\"id\":2}\n")
        w.dir.write("passX_20261121_101500/f", "one letter\n")
        w.dir.write("passX_20261121_101500/0/x.txt", "shard 0\n")
        w.dir.write("passX_20261121_101500/ü/y.txt", "ü\n")
        w.dir.write("passX_20261121_101500/bin/step.sh", "#!/bin/sh\n", mode: 0o755)
        w.dir.write("passX_20261121_101500/" + long, "long\n")
        var random = SeededBytes(seed: 4)
        w.dir.write("passX_20261121_101500/big.bin", random.next(3 << 20))
        try FileManager.default.createSymbolicLink(atPath: w.dir.at("passX_20261121_101500/latest"), withDestinationPath: "ok.jsonl")
        #expect(try w.lake("commit", "passX_20261121_101500", "--dataset", "runs/passX").status == 0)
        let r = try w.lake("--json", "archive", "runs/passX@1")
        #expect(r.status == 0, "\(r.stderr)")
        let record = try #require((LakeCLI.json(r) as? [[String: Any]])?.first)
        return (w, w.dir.at(".lake/" + (record["archive"] as! String)))
    }

    @Test func gnuTarAndZstdReadTheArchiveBackAsTheOriginalTree() throws {
        let (w, archive) = try archived()
        #expect(archive.contains("/.lake/archives/2") && archive.contains("/runs/passX@1-") && archive.hasSuffix(".tar.zst"))
        // The directory is the UTC day the archive was made (in the last minute), as YYYYMMDD.
        let days = [Date(), Date(timeIntervalSinceNow: -60)].map { date in
            let utc = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
            return String(format: "%04d%02d%02d", utc.year!, utc.month!, utc.day!)
        }
        #expect(days.contains { archive.contains("/.lake/archives/\($0)/") }, "\(archive)")
        #expect(try tool(["zstd", "-tq", archive], cwd: w.path).0 == 0)
        let (listed, listing) = try tool(["tar", "--zstd", "-tvf", archive], cwd: w.path)
        #expect(listed == 0, "\(listing)")
        #expect(listing.contains("-rwxr-xr-x") && listing.contains("passX_20261121_101500/bin/step.sh"))
        #expect(listing.contains("passX_20261121_101500/latest -> ok.jsonl"))
        try FileManager.default.createDirectory(atPath: w.dir.at("x"), withIntermediateDirectories: true)
        #expect(try tool(["tar", "--zstd", "-xf", archive, "-C", "x"], cwd: w.path).0 == 0)
        let (same, diff) = try tool(["diff", "-r", "--no-dereference", "x/passX_20261121_101500", "passX_20261121_101500"], cwd: w.path)
        #expect(same == 0, "\(diff)")
        let index = try #require(w.dir.read(".lake/archives/index.jsonl"))
        let line = try #require(try JSONSerialization.jsonObject(with: Data(index.utf8)) as? [String: Any])
        for key in ["archive", "archive_sha256", "dataset", "version", "snapshot", "original_name", "manifest_sha256", "files", "bytes", "rows", "created_at", "archived_at"] {
            #expect(line[key] != nil, "index line has \(key)")
        }
        #expect(line["original_name"] as? String == "passX_20261121_101500")
        #expect(line["rows"] as? Int == 2)
        let again = try w.lake("archive", "runs/passX@1")
        #expect(again.stdout.contains("is already in"), "archiving twice writes nothing")
        #expect(index.split(separator: "\n").count == 1)
    }

    @Test func restoreBringsBackLostObjectsAndSurvivesARebuild() throws {
        let (w, _) = try archived()
        let objects = w.dir.at(".lake/objects")
        for fan in try FileManager.default.contentsOfDirectory(atPath: objects) {
            chmod(objects + "/" + fan, 0o755)
            try FileManager.default.removeItem(atPath: objects + "/" + fan)
        }
        let gone = try w.lake("cat", "runs/passX:big.bin")
        #expect(gone.status == 4, "the large object is gone, and the archive has it")
        #expect(gone.stderr.contains("is archived in"))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: w.dir.at(".lake/catalog.sqlite" + suffix)) }
        let rebuilt = try w.lake("fsck", "--rebuild-catalog")
        #expect(rebuilt.status == 0, "the rebuilt catalog still knows the archive: \(rebuilt.stdout)")
        #expect(rebuilt.stdout.contains("kept only in their archives"))
        let restored = try w.lake("restore", "runs/passX")
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("8 files verified"))
        #expect(try w.lake("cat", "runs/passX:big.bin").stdoutData == FileManager.default.contents(atPath: w.dir.at("passX_20261121_101500/big.bin")))
        #expect(try w.lake("fsck").status == 0)
    }

    @Test func aTruncatedOrEditedArchiveIsRefusedAndRestoresNothing() throws {
        let (w, archive) = try archived()
        let bytes = try #require(FileManager.default.contents(atPath: archive))
        chmod(archive, 0o644)
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: archive))
        let truncated = try w.lake("restore", "runs/passX")
        #expect(truncated.status == 6)
        #expect(truncated.stderr.contains("truncated") || truncated.stderr.contains("damaged"), "\(truncated.stderr)")
        var edited = bytes
        edited[edited.count / 2] ^= 0xFF
        try edited.write(to: URL(fileURLWithPath: archive))
        let r = try w.lake("restore", "runs/passX")
        #expect(r.status == 6)
        #expect(r.stderr.contains("was not restored"), "\(r.stderr)")
    }

    /// Objects are written into an archive without hashing; the verification that follows
    /// catches a damaged object, deletes the archive and records nothing.
    @Test func archivingFromADamagedStoreRecordsNothing() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 9)
        w.dir.write("d/big.bin", random.next(2 << 20))
        #expect(try w.lake("commit", "d", "--dataset", "runs/passX").status == 0)
        let object = try #require(FileManager.default.subpathsOfDirectory(atPath: w.dir.at(".lake/objects")).first { $0.count > 60 })
        let path = w.dir.at(".lake/objects/" + object)
        chmod(path, 0o644)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data("X".utf8))
        try handle.close()
        let r = try w.lake("archive", "runs/passX@1")
        #expect(r.status == 6)
        #expect(r.stderr.contains("an object in the store is damaged") && r.stderr.contains("d/big.bin") && r.stderr.contains("lake fsck"), "\(r.stderr)")
        let left = FileManager.default.enumerator(atPath: w.dir.at(".lake/archives"))?.compactMap { $0 as? String }.filter { $0.hasSuffix(".zst") }
        #expect(left?.isEmpty ?? true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.at(".lake/tmp")).isEmpty, "nor a temporary file")
        #expect(((try? String(contentsOfFile: w.dir.at(".lake/archives/index.jsonl"), encoding: .utf8)) ?? "").isEmpty)
    }

    @Test func anArchiveWithPathsOrLinksLeavingItsDirectoryIsRefused() throws {
        let (w, archive) = try archived()
        // A hostile archive in place of the real one: an absolute path and a '..' path.
        w.dir.write("evil/passX_20261121_101500/ok.jsonl", "{\"id\":1}\n{\"id\":2}\n")
        w.dir.write("outside.txt", "x\n")
        chmod(archive, 0o644)
        let (made, out) = try tool(["tar", "--zstd", "-cPf", archive, "-C", w.dir.at("evil"), "passX_20261121_101500/ok.jsonl",
                                    "passX_20261121_101500/../../outside.txt"], cwd: w.path)
        #expect(made == 0, "\(out)")
        // The file no longer hashes to what its index line records: refused before it is read.
        let r = try w.lake("restore", "runs/passX")
        #expect(r.status == 6)
        #expect(r.stderr.contains("the file hashes to"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.dir.at("../outside.txt")))
    }

    /// d@1 and d@3 hold one snapshot: archiving d@1 must not let gc take d@3's objects.
    @Test func aSnapshotSharedWithALiveVersionKeepsItsObjects() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 2)
        let big = random.next(2 << 20)
        w.dir.write("x/big.bin", big)
        #expect(try w.lake("commit", "x", "--dataset", "d").status == 0)
        w.dir.write("y/other.txt", "y\n")
        #expect(try w.lake("commit", "y", "--dataset", "d").status == 0)
        #expect(try w.lake("commit", "x", "--dataset", "d").status == 0)
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"*\"\n    keep_last: 1\n")
        #expect(try w.lake("retention", "apply", "--policy", "policy.yaml").status == 0)
        #expect(try w.lake("gc", "--grace", "0s").status == 0)
        #expect(try w.lake("cat", "d:big.bin").stdoutData == big, "the latest version is whole")
        #expect(try w.lake("cat", "d@2:other.txt").status == 4, "d@2 is archived and dropped")
        // A single committed file archives under the dataset's name, not as file/file.
        w.dir.write("ledger.jsonl", "{\"a\":1}\n")
        #expect(try w.lake("commit", "ledger.jsonl", "--dataset", "corpus/_ledger/passed").status == 0)
        let record = try #require((LakeCLI.json(try w.lake("--json", "archive", "corpus/_ledger/passed")) as? [[String: Any]])?.first)
        #expect(record["original_name"] as? String == "passed")
    }

    @Test func badArchiveRequestsAreRefused() throws {
        let w = try CLIWorkspace()
        w.dir.write("d/a.txt", "a\n")
        #expect(try w.lake("commit", "d", "--dataset", "d").status == 0)
        let none = try w.lake("restore", "d")
        #expect(none.status == 4)
        #expect(none.stderr.contains("has no archive"))
        #expect(try w.lake("archive", "d", "--level", "30").status == 2)
        #expect(try w.lake("archive", "nothing").status == 4)
    }
}

@Suite struct RetentionTests {
    @Test func applyArchivesWhatThePolicyDoesNotKeepOnceAndExplainsWhy() throws {
        let w = try CLIWorkspace()
        for i in 1 ... 4 {
            w.dir.write("passX_2026112\(i)_101500/scores.csv", "id,s\n\(i),0.\(i)\n")
            #expect(try w.lake("commit", "passX_2026112\(i)_101500", "--dataset", "runs/passX").status == 0)
        }
        #expect(try w.lake("promote", "runs/_current/PASSX", "runs/passX@1").status == 0)
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"runs/*\"\n    keep_last: 2\n")
        let plan = try w.lake("retention", "plan", "--policy", "policy.yaml")
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("keep     runs/passX@4"))
        #expect(plan.stdout.contains("keep     runs/passX@1"), "a ref target is kept by default")
        #expect(plan.stdout.contains("target of ref runs/_current/PASSX"))
        #expect(plan.stdout.contains("archive  runs/passX@2"))
        #expect(plan.stdout.contains("no rule of runs/* (line 3) keeps it"))
        #expect(!FileManager.default.fileExists(atPath: w.dir.at(".lake/archives")), "a plan writes nothing")
        let apply = try #require(LakeCLI.json(try w.lake("--json", "retention", "apply", "--policy", "policy.yaml")) as? [String: Any])
        let archived = try #require(apply["archived"] as? [String])
        #expect(archived.count == 1)
        #expect(archived.first?.contains("runs/passX@2-") == true, "@4 and @3 are the last 2, @1 is a ref target")
        let index = try #require(w.dir.read(".lake/archives/index.jsonl"))
        #expect(index.split(separator: "\n").count == 1)
        let again = try #require(LakeCLI.json(try w.lake("--json", "retention", "apply", "--policy", "policy.yaml")) as? [String: Any])
        #expect((again["archived"] as? [String])?.isEmpty == true, "a second apply does nothing")
        #expect(try w.lake("retention", "plan", "--policy", "policy.yaml").stdout.contains("archived  runs/passX@2"))
        #expect(try w.lake("log", "runs/passX").stdout.contains("@2 (archived)"))
        #expect(try w.lake("show", "runs/passX@2").stdout.contains("(other, archived)"))
        #expect(try w.lake("fsck").status == 0)
    }

    @Test func aBadPolicyIsRefusedNamingTheLine() throws {
        let w = try CLIWorkspace()
        w.dir.write("policy.yaml", "version: 1\nrules:\n  - datasets: \"*\"\n    keep_last: -1\n")
        let r = try w.lake("retention", "plan", "--policy", "policy.yaml")
        #expect(r.status == 2)
        #expect(r.stderr.contains("policy.yaml:4: 'keep_last' must be a whole number"))
        let missing = try w.lake("retention", "apply", "--policy", "nope.yaml")
        #expect(missing.status == 4)
        #expect(try w.lake("retention", "plan").status == 0, "the built-in default policy")
    }
}
