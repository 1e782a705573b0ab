import Foundation
import LakeTestSupport
import Testing

@Suite struct RefBindTests {
    func read(_ w: CLIWorkspace, _ relative: String) -> String? {
        try? String(contentsOfFile: w.dir.at(relative), encoding: .utf8)
    }

    func views(_ w: CLIWorkspace) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: w.dir.at(".lake/views"))) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func aBoundPathFollowsEveryMoveOfItsRefReadOnly() throws {
        let w = try CLIWorkspace()
        for v in ["one", "two"] {
            w.dir.write("merged/facts.jsonl", "{\"v\":\"\(v)\"}\n")
            w.dir.write("merged/sub/notes.txt", v)
            #expect(try w.lake("commit", "merged", "--dataset", "field/passG").status == 0)
        }
        #expect(try w.lake("promote", "field/_current/MERGED", "field/passG@1").status == 0)
        let bind = try w.lake("ref", "bind", "field/_current/MERGED", "field/_current/MERGED")
        #expect(bind.status == 0, "\(bind.stderr)")
        #expect(read(w, "field/_current/MERGED/facts.jsonl") == "{\"v\":\"one\"}\n")
        // Read-only: no write bit on the files or directories of the view.
        let attributes = try FileManager.default.attributesOfItem(atPath: w.dir.at("field/_current/MERGED/sub/notes.txt"))
        #expect(((attributes[.posixPermissions] as? Int) ?? 0o777) & 0o222 == 0)
        let dirAttributes = try FileManager.default.attributesOfItem(atPath: w.dir.at("field/_current/MERGED/sub"))
        #expect(((dirAttributes[.posixPermissions] as? Int) ?? 0o777) & 0o222 == 0)

        // A second path on the same ref shares the view.
        #expect(try w.lake("ref", "bind", "field/_current/MERGED", "mirror/MERGED").status == 0)
        #expect(views(w).count == 1)

        // A reader inside the old view keeps reading it while the ref moves.
        let oldView = try FileManager.default.destinationOfSymbolicLink(atPath: w.dir.at("field/_current/MERGED"))
        #expect(try w.lake("promote", "field/_current/MERGED", "field/passG@2").status == 0)
        #expect(read(w, "field/_current/MERGED/sub/notes.txt") == "two")
        #expect(read(w, "mirror/MERGED/sub/notes.txt") == "two")
        #expect((try? String(contentsOfFile: oldView + "/sub/notes.txt", encoding: .utf8)) == "one")
        #expect(try w.lake("rollback", "field/_current/MERGED").status == 0)
        #expect(read(w, "field/_current/MERGED/sub/notes.txt") == "one")
        #expect(views(w).count == 2)

        // commit --promote moves the path too.
        w.dir.write("merged/sub/notes.txt", "three")
        #expect(try w.lake("commit", "merged", "--dataset", "field/passG", "--promote", "field/_current/MERGED").status == 0)
        #expect(read(w, "mirror/MERGED/sub/notes.txt") == "three")

        let listed = LakeCLI.json(try w.lake("--json", "ref", "bindings")) as? [[String: Any]]
        #expect(listed?.map { $0["path"] as? String } == [w.dir.at("field/_current/MERGED"), w.dir.at("mirror/MERGED")].map { URL(fileURLWithPath: $0).standardizedFileURL.path })

        // gc removes the views nothing shows any more (those of @1 and @2), keeps @3's.
        #expect(try w.lake("gc").status == 0)
        #expect(views(w).count == 1)
        #expect(read(w, "field/_current/MERGED/sub/notes.txt") == "three")

        #expect(try w.lake("ref", "unbind", "mirror/MERGED").status == 0)
        #expect(FileManager.default.fileExists(atPath: w.dir.at("mirror/MERGED")) == false)
        #expect(try w.lake("fsck").status == 0)
    }

    /// A `commit --promote` whose bound path could not be updated (the ref moved, the path did
    /// not) updates it when run again, although the ref then does not move: as `promote` does.
    @Test func aRetriedCommitPromoteUpdatesTheBoundPath() throws {
        let w = try CLIWorkspace()
        w.dir.write("d/a.txt", "one")
        #expect(try w.lake("commit", "d", "--dataset", "d", "--promote", "cur").status == 0)
        #expect(try w.lake("ref", "bind", "cur", "out/cur").status == 0)
        // Something put a plain file where the link was.
        try FileManager.default.removeItem(atPath: w.dir.at("out/cur"))
        w.dir.write("out/cur", "in the way")
        w.dir.write("d/a.txt", "two")
        let failed = try w.lake("commit", "d", "--dataset", "d", "--promote", "cur")
        #expect(failed.status != 0, "the path could not be updated")
        try FileManager.default.removeItem(atPath: w.dir.at("out/cur"))
        let retried = try w.lake("commit", "d", "--dataset", "d", "--promote", "cur")
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(read(w, "out/cur/a.txt") == "two")
    }

    @Test func bindingRefusesWhatItDidNotMake() throws {
        let w = try CLIWorkspace()
        w.dir.write("d/a.txt", "a")
        #expect(try w.lake("commit", "d", "--dataset", "d", "--promote", "d/_current").status == 0)
        // An existing _current directory (a team's old pointer) is never replaced.
        w.dir.write("old/_current/keep.txt", "mine")
        let taken = try w.lake("ref", "bind", "d/_current", "old/_current")
        #expect(taken.status == 5)
        #expect(taken.stderr.contains("exists and is not a link lake made"))
        #expect(read(w, "old/_current/keep.txt") == "mine")
        #expect(!FileManager.default.fileExists(atPath: w.dir.at(".lake/bindings.json")), "nothing recorded")

        let missing = try w.lake("ref", "bind", "no/such/ref", "x")
        #expect(missing.status == 4)
        #expect(try w.lake("ref", "unbind", "never-bound").status == 4)
    }
}
