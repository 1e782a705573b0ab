import Foundation
import LakeTestSupport
import Testing

@Suite struct CommandTests {
    @Test func commitLogShowCatAndCheckoutRoundTrip() throws {
        let w = try CLIWorkspace()
        w.makeRun("run", rows: 3)
        w.dir.write("run/sub/odd name\nwith newline é.txt", "odd\n")
        w.dir.write("run/bin/step.sh", "#!/bin/sh\n", mode: 0o755)
        w.dir.write("run/B", "one-letter name\n")
        w.dir.write("run/d/e", "one-letter directory\n")
        let first = try w.lake("commit", "run", "--dataset", "runs/passX", "--kind", "run", "-m", "first")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("runs/passX@1 sha256:"))
        let again = try w.lake("commit", "run", "--dataset", "runs/passX")
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("unchanged: runs/passX@1"))
        w.dir.write("run/ok.jsonl", "{\"id\":9}\n")
        #expect(try w.lake("commit", "run", "--dataset", "runs/passX", "--promote", "runs/_current/PASSX").status == 0)

        let log = try w.lake("--json", "log", "runs/passX")
        let versions = try #require(LakeCLI.json(log) as? [[String: Any]])
        #expect(versions.map { $0["version"] as? Int } == [1, 2])
        #expect(versions.map { $0["rows"] as? Int } == [6, 4])
        #expect(versions.first?["message"] as? String == "first")

        let show = try w.lake("show", "runs/passX@1")
        #expect(show.status == 0)
        #expect(show.stdout.contains("version  runs/passX@1 (run)"))
        #expect(show.stdout.contains("100755  10    -     -       -        bin/step.sh"))
        #expect(show.stdout.contains("100644  50    3     0       3        scores.csv"), "rows, parse errors and columns of a table")

        let cat = try w.lake("cat", "runs/passX@1:sub/odd name\nwith newline é.txt")
        #expect(cat.stdout == "odd\n")

        let out = try w.lake("checkout", "runs/passX@1", "out")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(w.dir.read("out/sub/odd name\nwith newline é.txt") == "odd\n")
        #expect(FileManager.default.isExecutableFile(atPath: w.dir.at("out/bin/step.sh")))
        #expect(w.dir.read("out/scores.csv") == w.dir.read("run/scores.csv"))
        #expect(w.dir.read("out/B") == "one-letter name\n")
        #expect(w.dir.read("out/d/e") == "one-letter directory\n")
        // Checking the checkout back in gives the same snapshot.
        let recommit = try w.lake("--json", "commit", "out", "--dataset", "copy")
        let record = try #require((LakeCLI.json(recommit) as? [String: Any])?["record"] as? [String: Any])
        #expect(record["snapshot"] as? String == versions[0]["snapshot"] as? String)
    }

    /// Files younger than the racy window (100 ms here) are always re-read, so the tree is aged first.
    @Test func unchangedFilesAreNotReadAgain() throws {
        let w = try CLIWorkspace()
        for i in 0 ..< 40 { w.dir.write("run/part-\(i).jsonl", "{\"i\":\(i)}\n") }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try w.lake("commit", "run", "--dataset", "d").stdout.contains("read 40 files"))
        let again = try #require(LakeCLI.json(try w.lake("--json", "commit", "run", "--dataset", "d")) as? [String: Any])
        #expect(again["files_read"] as? Int == 0)
        #expect(again["files_from_cache"] as? Int == 40)
        w.dir.write("run/part-3.jsonl", "{\"i\":333}\n")
        let changed = try #require(LakeCLI.json(try w.lake("--json", "commit", "run", "--dataset", "d")) as? [String: Any])
        #expect(changed["files_read"] as? Int == 1)
        #expect((changed["record"] as? [String: Any])?["version"] as? Int == 2)
        #expect(try w.lake("cat", "d:part-3.jsonl").stdout == "{\"i\":333}\n")
    }

    @Test func checkoutLinkSharesLargeObjectsReadOnly() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 7)
        w.dir.write("big/model.bin", random.next(3 << 20))
        w.dir.write("big/small.txt", "s\n")
        #expect(try w.lake("commit", "big", "--dataset", "models/m").status == 0)
        let r = try w.lake("--json", "checkout", "models/m", "linked", "--link")
        #expect(r.status == 0, "\(r.stderr)")
        #expect((LakeCLI.json(r) as? [String: Any])?["linked"] as? Int == 1)
        var a = stat(), b = stat()
        lstat(w.dir.at("linked/model.bin"), &a)
        lstat(w.dir.at("big/model.bin"), &b)
        #expect(a.st_nlink == 2, "hard-linked to the object")
        #expect(a.st_mode & 0o222 == 0, "linked files are read-only")
        #expect(FileManager.default.contentsEqual(atPath: w.dir.at("linked/model.bin"), andPath: w.dir.at("big/model.bin")))
    }

    @Test func promoteExpectRollbackAndRefLog() throws {
        let w = try CLIWorkspace()
        w.makeRun("a", rows: 1)
        w.makeRun("b", rows: 2)
        #expect(try w.lake("commit", "a", "--dataset", "field/passG").status == 0)
        #expect(try w.lake("commit", "b", "--dataset", "field/passG").status == 0)
        let created = try w.lake("promote", "field/_current/MERGED", "field/passG@1", "--expect", "none", "-m", "first merge")
        #expect(created.status == 0, "\(created.stderr)")
        let stale = try w.lake("promote", "field/_current/MERGED", "field/passG@2", "--expect", "none")
        #expect(stale.status == 5)
        #expect(stale.stderr.contains("nothing was changed"))
        #expect(try w.lake("promote", "field/_current/MERGED", "field/passG@2", "--expect", "field/passG@1").status == 0)
        let back = try w.lake("rollback", "field/_current/MERGED", "-m", "bad merge")
        #expect(back.status == 0)
        #expect(back.stdout.hasPrefix("rolled back field/_current/MERGED"))
        let moves = try #require(LakeCLI.json(try w.lake("--json", "log", "field/_current/MERGED")) as? [[String: Any]])
        #expect(moves.map { $0["action"] as? String } == ["promote", "promote", "rollback"])
        #expect(moves.map { $0["actor"] as? String } == ["tester", "tester", "tester"])
        #expect(moves.last?["message"] as? String == "bad merge")
        let show = try w.lake("--json", "show", "field/_current/MERGED@{1}")
        let v1 = try #require(LakeCLI.json(try w.lake("--json", "show", "field/passG@2")) as? [String: Any])
        #expect((LakeCLI.json(show) as? [String: Any])?["snapshot"] as? String == v1["snapshot"] as? String)
        let prefix = String((v1["snapshot"] as! String).dropFirst(7).prefix(10))
        let byPrefix = try w.lake("show", prefix)
        #expect(byPrefix.stdout.hasPrefix("snapshot \(v1["snapshot"] as! String) (snapshot prefix \(prefix))"))
        let refs = try w.lake("refs")
        #expect(refs.stdout.contains("field/_current/MERGED"))
    }

    @Test func lsFiltersByPatternAndPrintsJSON() throws {
        let w = try CLIWorkspace()
        w.makeRun("a", rows: 1)
        #expect(try w.lake("commit", "a", "--dataset", "runs/passX", "--kind", "run").status == 0)
        #expect(try w.lake("commit", "a/ok.jsonl", "--dataset", "evals/passC").status == 0)
        let all = try #require(LakeCLI.json(try w.lake("ls", "--json")) as? [[String: Any]])
        #expect(all.map { $0["name"] as? String } == ["evals/passC", "runs/passX"])
        let runs = try w.lake("ls", "runs/*")
        #expect(runs.stdout.contains("runs/passX  run"))
        #expect(!runs.stdout.contains("evals/passC"))
    }

    @Test func theLakeIsFoundByOptionEnvironmentAndWalkingUp() throws {
        let w = try CLIWorkspace()
        w.makeRun("deep/er/run", rows: 1)
        let up = try LakeCLI.run(["commit", "run", "--dataset", "d"], cwd: w.dir.at("deep/er"))
        #expect(up.status == 0, "\(up.stderr)")
        let other = TempDirectory()
        #expect(try LakeCLI.run(["ls"], cwd: other.path, environment: ["LAKE_DIR": w.path]).stdout.contains("d "))
        #expect(try LakeCLI.run(["--lake", w.path, "ls"], cwd: other.path).status == 0)
        let none = try LakeCLI.run(["ls"], cwd: other.path)
        #expect(none.status == 4)
        #expect(none.stderr.contains("lake init"))
    }

    @Test func initTakesItsDirectoryFromLakeAndSaysWhenOneExists() throws {
        let w = try CLIWorkspace(initialize: false)
        let made = try w.lake("init", "--lake", "shared")
        #expect(made.status == 0)
        #expect(made.stdout == "Initialized empty lake in \(w.dir.at("shared/.lake"))\n")
        let again = try w.lake("init", "shared")
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing changed"))
        #expect(try w.lake("init", "a", "--lake", "b").status == 2)
    }

    /// `script` runs the command on a pseudo-terminal, as a person at a shell would.
    @Test func progressIsDrawnOnATerminalOnly() throws {
        let w = try CLIWorkspace()
        for i in 0 ..< 300 { w.dir.write("run/\(i).txt", "\(i)\n") }
        let piped = try w.lake("commit", "run", "--dataset", "d")
        #expect(!piped.stderr.contains("reading files"))
        w.dir.write("run/new.txt", "new\n")
        let tty = try LakeCLI.run(["-qec", "'\(LakeCLI.binary)' commit run --dataset d", "/dev/null"], cwd: w.path, prefix: ["/usr/bin/script"], replacingBinary: true)
        #expect(tty.status == 0, "\(tty.stdout)")
        #expect(tty.stdout.contains("\rreading files: 301/301 (100%)"), "\(tty.stdout.debugDescription)")
        #expect(tty.stdout.contains("d@2 sha256:"))
    }

    @Test func helpListsEveryCommand() throws {
        let w = try CLIWorkspace(initialize: false)
        let help = try w.lake("--help")
        #expect(help.status == 0)
        for command in ["init", "commit", "ls", "log", "show", "cat", "checkout", "refs", "promote", "rollback", "fsck"] {
            #expect(help.stdout.contains("  \(command) "), "help lists \(command)")
        }
        #expect(help.stdout.contains("6 corruption found"))
    }

    /// `lake NAME ...` is parsed by NAME's own command (`LakeCommand.runMain`): its help, its
    /// errors and `--version` must read as they do when parsed from `lake`.
    @Test func everyCommandParsedOnItsOwnStillReadsAsLakes() throws {
        let w = try CLIWorkspace(initialize: false)
        let dump = try w.lake("--experimental-dump-help")
        let tree = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let subcommands = try #require((tree["command"] as? [String: Any])?["subcommands"] as? [[String: Any]])
        let names = subcommands.compactMap { $0["commandName"] as? String }.filter { $0 != "help" }
        #expect(names.count >= 29 && names.contains("commit") && names.contains("remote"))
        for name in names {
            let help = try w.lake(name, "--help")
            #expect(help.status == 0 && help.stdout.contains("USAGE: lake \(name)"), "\(name) --help: \(help.stdout)")
            let wrong = try w.lake(name, "--no-such-option")
            #expect(wrong.status == 2, "\(name): \(wrong.stderr)")
            #expect(wrong.stderr.hasPrefix("lake: error: ") && wrong.stderr.contains("See 'lake \(name) "), "\(name): \(wrong.stderr)")
            let version = try w.lake(name, "--version")
            #expect(version.status == 0 && version.stdout == "0.1.0\n", "\(name) --version: \(version.stdout)")
        }
        // A nested command's hint names the whole path.
        #expect(try w.lake("ref", "bind", "--no-such-option").stderr.contains("See 'lake ref bind --help'"))
        // Given nothing, a command that needs arguments names what is missing, as any mistake does.
        let bare = try w.lake("commit")
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("Missing expected argument '<path>'") && bare.stderr.contains("Usage: lake commit <path>"))
        #expect(!bare.stderr.contains("OVERVIEW"))
    }
}
