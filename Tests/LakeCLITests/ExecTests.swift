import Foundation
import LakeTestSupport
import Testing

@Suite struct ExecTests {
    /// A scoring step: reads its input, writes two outputs, logs to stderr.
    let score = """
        set -e
        cat "$LAKE_PARAMS" > "$LAKE_OUT_scores/params.json"
        n=$(wc -l < "$LAKE_IN_words/words.csv")
        echo "id,score" > "$LAKE_OUT_scores/scores.csv"
        i=1; while [ $i -lt $n ]; do echo "$i,0.$i" >> "$LAKE_OUT_scores/scores.csv"; i=$((i+1)); done
        echo '{"batch":1,"error":"timeout"}' > "$LAKE_OUT_failed/batches.jsonl"
        echo "scored $((n-1)) words as $LAKE_RUN_ID"
        echo "one batch failed" >&2
        """

    func workspace() throws -> CLIWorkspace {
        let w = try CLIWorkspace()
        w.dir.write("raw/words.csv", "id,word\n1,apple\n2,quixotic\n3,zephyr\n")
        #expect(try w.lake("commit", "raw", "--dataset", "step1/words").status == 0)
        return w
    }

    @Test func aSuccessfulRunMakesVersionsWithLineageAndRecordsEverything() throws {
        let w = try workspace()
        let r = try w.lake(["--json", "exec", "--in", "words=step1/words", "--out", "scores=runs/passX:run", "--out", "failed=runs/failed:quarantine",
                            "--param", "batch=32", "--param", "model=\"small\"", "--env", "OPENAI_API_KEY", "--env", "AWS_SECRET_ACCESS_KEY",
                            "--env", "LAKE_TEST_MODE", "-m", "first pass", "--", "sh", "-c", score],
                           environment: ["OPENAI_API_KEY": "sk-very-secret", "AWS_SECRET_ACCESS_KEY": "aws-very-secret", "LAKE_TEST_MODE": "fast"])
        #expect(r.status == 0, "\(r.stderr)")
        let result = try #require(LakeCLI.json(r) as? [String: Any])
        let run = try #require(result["run"] as? [String: Any])
        let id = try #require(run["id"] as? String)
        #expect(r.stderr.contains("scored 3 words as \(id)"), "the command's output is streamed (to stderr with --json)")
        #expect(run["status"] as? String == "succeeded")
        #expect(run["exit_code"] as? Int == 0)
        #expect((run["peak_rss_kb"] as? Int ?? 0) > 0)
        #expect(run["environment"] as? [String: String] == ["OPENAI_API_KEY": "<redacted>", "AWS_SECRET_ACCESS_KEY": "<redacted>", "LAKE_TEST_MODE": "fast"])
        let outputs = try #require(run["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["dataset"] as? String } == ["runs/passX", "runs/failed"])
        #expect(try w.lake("cat", "runs/passX:params.json").stdout == "{\"batch\":32,\"model\":\"small\"}")
        #expect(try w.lake("cat", "runs/passX:scores.csv").stdout == "id,score\n1,0.1\n2,0.2\n3,0.3\n")
        let ls = try w.lake("ls")
        #expect(ls.stdout.contains("runs/failed  quarantine"))
        // No secret value reaches the lake's catalog or journal.
        for file in [".lake/catalog.sqlite", ".lake/journal.jsonl"] {
            let bytes = try #require(FileManager.default.contents(atPath: w.dir.at(file)))
            #expect(bytes.range(of: Data("very-secret".utf8)) == nil, "\(file) holds a secret")
        }
        #expect(try w.lake("cat", "\(id):stdout").stdout == "scored 3 words as \(id)\n")
        #expect(try w.lake("cat", "\(id):stderr").stdout == "one batch failed\n")
        let stdout = try #require(run["stdout_object"] as? String)
        #expect(try w.lake("show", id).stdout.contains("stdout   \(stdout)"))
        let lineage = try w.lake("lineage", "runs/passX")
        #expect(lineage.stdout.contains("(runs/passX@1)\n└─ \(id) succeeded\n   └─ words: "), "\(lineage.stdout)")
        #expect(lineage.stdout.contains("(step1/words@1)"))
        let down = try #require(LakeCLI.json(try w.lake("--json", "lineage", "step1/words", "--down")) as? [String: Any])
        #expect((down["steps"] as? [[String: Any]])?.first?["run"] as? String == id)
        let dot = try w.lake("lineage", "runs/passX", "--format", "dot")
        #expect(dot.stdout.hasPrefix("digraph lineage {") && dot.stdout.contains("-> \"\(id)\" [label=\"words\"]"))
        #expect(!FileManager.default.fileExists(atPath: w.dir.at(".lake/runs/\(id)")), "a succeeded run's directory is removed")
    }

    /// A command that writes into its input (a bug) must not reach the store, even as root.
    @Test func aCommandWritingIntoItsInputCannotDamageTheStore() throws {
        let w = try CLIWorkspace()
        var random = SeededBytes(seed: 11)
        w.dir.write("big/model.bin", random.next(2 << 20))
        #expect(try w.lake("commit", "big", "--dataset", "models/m").status == 0)
        let r = try w.lake(["exec", "--in", "m=models/m", "--out", "o=d", "--", "sh", "-c",
                            "chmod u+w $LAKE_IN_m/model.bin; echo overwritten > $LAKE_IN_m/model.bin; true"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try w.lake("fsck").status == 0, "the stored object is intact")
        let out = try w.lake("cat", "models/m:model.bin")
        #expect(out.stdoutData.count == 2 << 20)
    }

    @Test func anOutputOfTheWrongKindIsRefusedBeforeTheCommandRuns() throws {
        let w = try workspace()
        let r = try w.lake(["exec", "--out", "o=step1/words:run", "--", "sh", "-c", "touch \(w.path)/ran"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is of kind other, not run"))
        #expect(!FileManager.default.fileExists(atPath: w.dir.at("ran")), "the command did not run")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: w.dir.at(".lake/runs"))) ?? []).isEmpty)
    }

    @Test func aFailedRunIsRecordedKeptAndResumedWithoutStartingOver() throws {
        let w = try workspace()
        // Appends one line per attempt and fails until three lines are there: an append-resume job.
        let job = """
            echo "attempt" >> "$LAKE_OUT_log/ok.jsonl"
            [ $(wc -l < "$LAKE_OUT_log/ok.jsonl") -ge 3 ] || exit 7
            """
        let first = try w.lake(["exec", "--in", "words=step1/words", "--out", "log=evals/passC", "--", "sh", "-c", job])
        #expect(first.status == 7)
        #expect(first.stderr.contains("failed (exit status 7)"))
        let failed = try #require((LakeCLI.json(try w.lake("--json", "runs", "--status", "failed")) as? [[String: Any]])?.first)
        let id = try #require(failed["id"] as? String)
        #expect(failed["outputs"] as? [Any] == nil || (failed["outputs"] as? [Any])?.isEmpty == true)
        let second = try w.lake("exec", "--resume", id)
        #expect(second.status == 7)
        let secondID = try #require((LakeCLI.json(try w.lake("--json", "runs", "--status", "failed")) as? [[String: Any]])?.first?["id"] as? String)
        let third = try w.lake("exec", "--resume", secondID)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try w.lake("cat", "evals/passC:ok.jsonl").stdout == "attempt\nattempt\nattempt\n")
        let last = try #require((LakeCLI.json(try w.lake("--json", "runs", "--status", "succeeded")) as? [[String: Any]])?.first)
        #expect(last["attempt"] as? Int == 3)
        #expect(last["resumes"] as? String == secondID)
        #expect(try w.lake("exec", "--resume", secondID).status == 4, "a resumed run cannot be resumed again")
    }

    @Test(arguments: [
        (["exec", "--out", "o=d"], Int32(2), "give the command to run after '--'"),
        (["exec", "--out", "1x=d", "--", "true"], 2, "cannot name an input or output"),
        (["exec", "--out", "a=d", "--out", "b=d", "--", "true"], 2, "two outputs write dataset 'd'"),
        (["exec", "--out", "a=bad name", "--", "true"], 2, "invalid dataset name"),
        (["exec", "--out", "a=d:table", "--", "true"], 2, "unknown kind 'table'"),
        (["exec", "--in", "x=nothing", "--", "true"], 4, "no ref, dataset or snapshot named 'nothing'"),
        (["exec", "--out", "o=d", "--", "no-such-command-lake-test"], 4, "is it installed and on PATH?"),
        (["exec", "--resume", "run-0000000000000000"], 4, "cannot resume run-0000000000000000"),
        (["show", "run-0000000000000000"], 4, "no run 'run-0000000000000000'"),
        (["runs", "--status", "running"], 2, "unknown status 'running'"),
        (["lineage", "step1/words", "--up", "--down"], 2, "give --up or --down, not both"),
    ])
    func badInputIsRefused(_ args: [String], _ status: Int32, _ message: String) throws {
        let w = try workspace()
        let r = try w.lake(args)
        #expect(r.status == status, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(try w.lake("runs", "--json").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
        let runDirs = (try? FileManager.default.contentsOfDirectory(atPath: w.dir.at(".lake/runs"))) ?? []
        #expect(runDirs.isEmpty, "a run that never started leaves no directory")
    }

    @Test func runsSurviveACatalogRebuild() throws {
        let w = try workspace()
        #expect(try w.lake(["exec", "--in", "words=step1/words", "--out", "o=d", "--", "sh", "-c", "cp $LAKE_IN_words/* $LAKE_OUT_o/"]).status == 0)
        let before = try w.lake("--json", "runs").stdout
        let lineage = try w.lake("lineage", "d").stdout
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: w.dir.at(".lake/catalog.sqlite" + suffix)) }
        #expect(try w.lake("fsck", "--rebuild-catalog").status == 0)
        #expect(try w.lake("--json", "runs").stdout == before)
        #expect(try w.lake("lineage", "d").stdout == lineage)
    }

    /// The caller's git commit is recorded, '+dirty' when tracked files changed, and a
    /// reproduction from another commit says so before running.
    @Test func theCodeVersionIsRecordedAndAChangedOneIsNoted() throws {
        let w = try workspace()
        @discardableResult
        func git(_ args: String...) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            p.arguments = ["-C", w.path, "-c", "user.email=t@lake", "-c", "user.name=t"] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "git \(args)")
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        w.dir.write("step.sh", "echo v1 > \"$LAKE_OUT_o/v.txt\"\n")
        w.dir.write(".gitignore", ".lake/\n")
        try git("init", "-q")
        try git("add", "step.sh", ".gitignore")
        try git("commit", "-q", "-m", "v1")
        let head = try git("rev-parse", "HEAD")
        let clean = try #require((LakeCLI.json(try w.lake("--json", "exec", "--out", "o=d", "--", "sh", "\(w.path)/step.sh")) as? [String: Any])?["run"] as? [String: Any])
        #expect(clean["code_version"] as? String == head)
        #expect(clean["cwd"] as? String == w.path)
        #expect(try w.lake("show", "d").stdout.contains("made by  \(clean["id"] as! String)"))
        w.dir.write("step.sh", "echo v2 > \"$LAKE_OUT_o/v.txt\"\n")
        let dirty = try #require((LakeCLI.json(try w.lake("--json", "exec", "--out", "o=e", "--", "sh", "\(w.path)/step.sh")) as? [String: Any])?["run"] as? [String: Any])
        #expect(dirty["code_version"] as? String == head + "+dirty")
        try git("commit", "-q", "-am", "v2")
        let again = try w.lake("reproduce", "d")
        #expect(again.stderr.contains("note: the code version differs: the run was made at \(head)"), "\(again.stderr)")
    }
}
