import Foundation
import LakeTestSupport
import Testing

/// Every bad input gets a clear error, its documented exit code, and changes nothing.
@Suite struct BadInputTests {
    func catalogBytes(_ w: CLIWorkspace) throws -> String {
        try CatalogDump.dump(w.dir.at(".lake/catalog.sqlite"))
    }

    @Test(arguments: [
        (["commit", "missing", "--dataset", "d"], Int32(4), "'missing' does not exist"),
        (["commit", "run", "--dataset", "bad name"], 2, "invalid dataset name 'bad name'"),
        (["commit", "run", "--dataset", "runs/../x"], 2, "letters, digits"),
        (["commit", "run", "--dataset", "d", "--kind", "table"], 2, "unknown kind 'table'"),
        (["commit", "run", "--dataset", "d", "--promote", "a@b"], 2, "invalid ref name 'a@b'"),
        (["promote", "bad ref", "d"], 2, "invalid ref name"),
        (["promote", "r", "nothing"], 4, "no ref, dataset or snapshot named 'nothing'"),
        (["promote", "r", "d@7"], 4, "has no version 7"),
        (["show", "d@x"], 2, "DATASET@N takes a version number"),
        (["show", "sha256:12"], 2, "8 to 64"),
        (["show", "r@{3}"], 4, "no ref 'r'"),
        (["cat", "d@1"], 2, "TARGET:PATH"),
        (["cat", "d@1:nope.txt"], 4, "no file 'nope.txt'"),
        (["log", "nothing"], 4, "no dataset 'nothing'"),
        (["rollback", "r"], 4, "no ref 'r'"),
        (["commit"], 2, "Missing expected argument"),
        (["frobnicate"], 2, "Unexpected argument"),
    ])
    func badInputIsRefusedAndChangesNothing(_ args: [String], _ status: Int32, _ message: String) throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 2)
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        let before = try catalogBytes(w)
        let r = try w.lake(args)
        #expect(r.status == status, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(try catalogBytes(w) == before, "the catalog did not change")
    }

    @Test func aLinkOutOfTheTreeOrAFifoIsNamedAndNothingIsRecorded() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 1)
        try FileManager.default.createSymbolicLink(atPath: w.dir.at("run/escape"), withDestinationPath: "/etc/passwd")
        let r = try w.lake("commit", "run", "--dataset", "d")
        #expect(r.status == 2)
        #expect(r.stderr.contains("run/escape") && r.stderr.contains("outside the tree"))
        try FileManager.default.removeItem(atPath: w.dir.at("run/escape"))
        #expect(mkfifo(w.dir.at("run/queue"), 0o644) == 0)
        let f = try w.lake("commit", "run", "--dataset", "d")
        #expect(f.status == 2)
        #expect(f.stderr.contains("run/queue': it is a fifo"))
        #expect(try w.lake("ls", "--json").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
    }

    @Test func aNewerFormatIsRefusedByEveryCommand() throws {
        let w = try CLIWorkspace()
        w.dir.write(".lake/FORMAT", "lake-format 2\n")
        for args in [["ls"], ["commit", ".", "--dataset", "d"], ["fsck"]] {
            let r = try w.lake(args)
            #expect(r.status == 1)
            #expect(r.stderr.contains("newer than this lake binary reads"))
        }
    }

    /// Invariant 7: the catalog is an index; the journal and the manifests rebuild it.
    @Test func aLostCatalogIsRefusedThenRebuiltFromTheJournal() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 3)
        #expect(try w.lake("commit", "run", "--dataset", "runs/passX", "--kind", "run", "-m", "first").status == 0)
        w.makeRun("run", rows: 5)
        #expect(try w.lake("commit", "run", "--dataset", "runs/passX", "--promote", "field/_current/MERGED").status == 0)
        #expect(try w.lake("promote", "field/_current/MERGED", "runs/passX@1", "-m", "back").status == 0)
        let views = [["--json", "ls"], ["--json", "log", "runs/passX"], ["--json", "log", "field/_current/MERGED"], ["--json", "show", "runs/passX@2"]]
        let before = try views.map { try w.lake($0).stdout }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: w.dir.at(".lake/catalog.sqlite" + suffix)) }
        let r = try w.lake("ls")
        #expect(r.status == 6)
        #expect(r.stderr.contains("missing") && r.stderr.contains("lake fsck --rebuild-catalog"))
        #expect(!FileManager.default.fileExists(atPath: w.dir.at(".lake/catalog.sqlite")), "no empty catalog is started")
        let rebuilt = try w.lake("fsck", "--rebuild-catalog")
        #expect(rebuilt.status == 0, "\(rebuilt.stdout) \(rebuilt.stderr)")
        #expect(rebuilt.stdout.contains("rebuilt the catalog: 1 dataset, 2 versions, 2 ref moves"))
        #expect(try views.map { try w.lake($0).stdout } == before)
    }

    @Test func fsckReportsADamagedJournalAndStrayFiles() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 1)
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        w.dir.write(".lake/objects/stray.txt", "not an object")
        var journal = try #require(w.dir.read(".lake/journal.jsonl"))
        journal = journal.replacingOccurrences(of: "\"type\":\"version\"", with: "\"type\":\"verzion\"")
        w.dir.write(".lake/journal.jsonl", journal)
        let r = try w.lake("fsck")
        #expect(r.status == 6)
        #expect(r.stdout.contains("journal ") && r.stdout.contains("damaged at byte 0"), "\(r.stdout)")
        #expect(r.stdout.contains("object ") && r.stdout.contains("stray.txt"), "\(r.stdout)")
    }

    @Test func aLakeOfAnUnknownFormatIsRefused() throws {
        let w = try CLIWorkspace()
        w.dir.write(".lake/FORMAT", "lake-format 0\n")
        #expect(try w.lake("ls").status == 1)
    }

    @Test func kindOfAnExistingDatasetCannotChange() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 1)
        #expect(try w.lake("commit", "run", "--dataset", "d", "--kind", "run").status == 0)
        w.makeRun("run", rows: 2)
        let r = try w.lake("commit", "run", "--dataset", "d", "--kind", "ledger")
        #expect(r.status == 2)
        #expect(r.stderr.contains("is of kind run, not ledger"))
    }

    @Test func checkoutRefusesANonEmptyDirectory() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 1)
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        w.dir.write("busy/keep.txt", "mine\n")
        let r = try w.lake("checkout", "d", "busy")
        #expect(r.status == 5)
        #expect(r.stderr.contains("not empty"))
        #expect(w.dir.read("busy/keep.txt") == "mine\n")
    }

    /// Root ignores permission bits, so the write is tried as an unprivileged user.
    @Test func aReadOnlyLakeRefusesWritesAndKeepsServingReads() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 1)
        #expect(try w.lake("commit", "run", "--dataset", "d").status == 0)
        let asNobody = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        if !asNobody.isEmpty { #expect(FileManager.default.isExecutableFile(atPath: asNobody[0]), "setpriv (util-linux) is needed") }
        w.makeRun("run", rows: 3)
        chmod(w.dir.at("run"), 0o755)
        let before = try CatalogDump.dump(w.dir.at(".lake/catalog.sqlite"))
        let r = try w.lake(["commit", "run", "--dataset", "d"], prefix: asNobody)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("ermission denied") || r.stderr.contains("readonly"), "\(r.stderr)")
        #expect(try CatalogDump.dump(w.dir.at(".lake/catalog.sqlite")) == before)
        #expect(try w.lake("log", "d").stdout.contains("@1"))
        #expect(!(try w.lake("log", "d").stdout.contains("@2")))
        // The catalog keeps its -wal and -shm files, without which SQLite cannot open it for
        // a user who may not write beside it; after a large commit, only a little of the WAL.
        for i in 0 ..< 6000 { w.dir.write("many/d\(i % 60)/f\(i).txt", "\(i)\n") }
        #expect(try w.lake("commit", "many", "--dataset", "many").status == 0)
        let wal = try #require(try FileManager.default.attributesOfItem(atPath: w.dir.at(".lake/catalog.sqlite-wal"))[.size] as? Int)
        #expect(wal > 0 && wal <= 256 << 10, "\(wal) bytes of WAL left")
        let read = try w.lake(["log", "many"], prefix: asNobody)
        #expect(read.status == 0 && read.stdout.contains("@1"), "a user who cannot write reads: \(read.stderr)")
    }
}
