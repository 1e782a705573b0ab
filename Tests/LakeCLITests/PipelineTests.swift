import Foundation
import LakeTestSupport
import Testing

@Suite struct PipelineTests {
    /// export → score → report, plus an independent stage; score appends and can be told to fail.
    static let pipeline = """
        stages:
          export:
            command: cp "$LAKE_IN_raw/words.csv" "$LAKE_OUT_words/words.csv"
            inputs: {raw: source/words}
            outputs: {words: step1/words:run}
          score:
            command: sh score.sh
            code: [score.sh]
            inputs: {words: export.words}
            outputs: {scores: runs/passX:run}
            params: {scale: 10}
            env: [LAKE_TEST_MODEL]
            promote: field/_current/SCORES
          report:
            command: [sh, -c, 'wc -l < "$LAKE_IN_scores/scores.csv" | tr -d " " > "$LAKE_OUT_report/count.txt"']
            inputs: {scores: score.scores}
            outputs: {report: reports/count}
          audit:
            command: [sh, -c, 'echo ok > "$LAKE_OUT_log/audit.txt"']
            inputs: {raw: source/words}
            outputs: {log: audits/log}
        """

    /// Appends one scored line per word, resuming where the kept output left off; is killed
    /// (SIGKILL) after line $LAKE_TEST_FAIL_AT when that is set: a job killed half way.
    static let score = """
        scale=$(sed 's/.*"scale":\\([0-9]*\\).*/\\1/' "$LAKE_PARAMS")
        out="$LAKE_OUT_scores/scores.csv"
        done=$(cat "$out" 2>/dev/null | wc -l)
        tail -n +2 "$LAKE_IN_words/words.csv" | tail -n +$((done + 1)) | while IFS=, read id word; do
          echo "$id,$((id * scale))" >> "$out"
          if [ -n "$LAKE_TEST_FAIL_AT" ] && [ $(wc -l < "$out") -ge "$LAKE_TEST_FAIL_AT" ]; then kill -KILL $$; fi
        done
        """

    func workspace() throws -> CLIWorkspace {
        let w = try CLIWorkspace()
        w.dir.write("raw/words.csv", "id,word\n1,a\n2,b\n3,c\n4,d\n")
        #expect(try w.lake("commit", "raw", "--dataset", "source/words").status == 0)
        w.dir.write("lake.yaml", Self.pipeline)
        w.dir.write("score.sh", Self.score)
        return w
    }

    func statuses(_ r: LakeCLI.Result) -> [String: String] {
        let stages = (LakeCLI.json(r) as? [String: Any])?["stages"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: stages.map { ($0["stage"] as! String, $0["status"] as! String) })
    }

    @Test func onlyStagesWhoseInputsParamsOrCodeChangedRunAgain() throws {
        let w = try workspace()
        let first = try w.lake("--json", "run")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(statuses(first) == ["export": "ran", "score": "ran", "report": "ran", "audit": "ran"])
        #expect(try w.lake("cat", "runs/passX:scores.csv").stdout == "1,10\n2,20\n3,30\n4,40\n")
        #expect(try w.lake("cat", "reports/count:count.txt").stdout == "4\n")
        #expect(try w.lake("refs").stdout.contains("field/_current/SCORES"))
        #expect(statuses(try w.lake("--json", "run")) == ["export": "cached", "score": "cached", "report": "cached", "audit": "cached"])

        w.dir.write("lake.yaml", Self.pipeline.replacingOccurrences(of: "scale: 10", with: "scale: 3"))
        let dry = try w.lake("run", "--dry-run")
        #expect(dry.stdout.contains("params changed: {\"scale\":10} -> {\"scale\":3}"), "\(dry.stdout)")
        #expect(dry.stdout.contains("upstream stage 'score' will run"))
        #expect(try w.lake("log", "runs/passX").stdout.contains("@1"))
        #expect(!(try w.lake("log", "runs/passX").stdout.contains("@2")), "a dry run runs nothing")
        #expect(statuses(try w.lake("--json", "run")) == ["export": "cached", "score": "ran", "report": "ran", "audit": "cached"])
        #expect(try w.lake("cat", "runs/passX:scores.csv").stdout == "1,3\n2,6\n3,9\n4,12\n")

        w.dir.write("score.sh", Self.score + "\n# a comment changes the code\n")
        let code = try w.lake("run", "--dry-run", "score")
        #expect(code.stdout.contains("code file 'score.sh' changed"), "\(code.stdout)")
        #expect(!code.stdout.contains("report"), "naming a stage runs it and its upstream only")
        #expect(statuses(try w.lake("--json", "run", "score", "--force")) == ["export": "ran", "score": "ran"])
    }

    @Test func aFailingStageStopsItsDependentsNotTheOthersAndResumes() throws {
        let w = try workspace()
        let failed = try w.lake(["--json", "run"], environment: ["LAKE_TEST_FAIL_AT": "2"])
        #expect(failed.status == 1)
        #expect(statuses(failed) == ["export": "ran", "score": "failed", "report": "skipped", "audit": "ran"])
        #expect(failed.stdout.contains("exit status 137"), "killed by SIGKILL: \(failed.stdout)")
        // The resumed stage continues the kept output instead of starting over.
        let resumed = try w.lake(["--json", "run", "score", "--resume"], environment: ["LAKE_TEST_FAIL_AT": ""])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(statuses(resumed) == ["export": "cached", "score": "ran"])
        #expect(try w.lake("cat", "runs/passX:scores.csv").stdout == "1,10\n2,20\n3,30\n4,40\n")
        let runs = try #require(LakeCLI.json(try w.lake("--json", "runs", "--stage", "score")) as? [[String: Any]])
        #expect(runs.map { $0["status"] as? String } == ["succeeded", "failed"])
        #expect(runs.first?["attempt"] as? Int == 2)
        #expect(try w.lake("--json", "run").status == 0)
    }

    @Test(arguments: [
        ("stages:\n  a:\n    inputs: {x: source/words}\n    outputs: {o: d}\n", "lake.yaml:2: stage 'a': no command"),
        ("stages:\n  a:\n    command: 'true'\n    inputs: {x: b.o}\n    outputs: {o: d1}\n  b:\n    command: 'true'\n    inputs: {y: a.o}\n    outputs: {o: d2}\n",
         "stages form a cycle: a -> b -> a"),
        ("stages:\n  a:\n    command: 'true'\n    inputs: {x: b.nope}\n    outputs: {o: d1}\n  b:\n    command: 'true'\n    outputs: {o: d2}\n",
         "lake.yaml:2: stage 'a': input 'x' names 'b.nope', but stage 'b' has no output 'nope'"),
        ("stages:\n  a:\n    command: 'true'\n    outputs: {o: d}\n  b:\n    command: 'true'\n    outputs: {o: d}\n",
         "lake.yaml:5: stage 'b': output dataset 'd' is also written by stage 'a'"),
        ("stages:\n  a:\n    command: 'true'\n    outputs: {o: d}\n    colour: red\n", "lake.yaml:5: stage 'a': unknown key 'colour'"),
        ("stages: [\n", "not valid YAML"),
    ])
    func badPipelineFilesNameTheStageAndLine(_ text: String, _ message: String) throws {
        let w = try workspace()
        w.dir.write("lake.yaml", text)
        let r = try w.lake("run")
        #expect([2, 4].contains(r.status), "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(try w.lake("runs", "--json").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
    }

    @Test func aStageThatCannotStartFailsAloneAndAChangedStageIsNotResumed() throws {
        let w = try workspace()
        w.dir.write("lake.yaml", Self.pipeline.replacingOccurrences(of: "inputs: {raw: source/words}\n    outputs: {log: audits/log}",
                                                                     with: "inputs: {raw: nothing/here}\n    outputs: {log: audits/log}"))
        let r = try w.lake("--json", "run")
        #expect(r.status == 1)
        #expect(statuses(r) == ["export": "ran", "score": "ran", "report": "ran", "audit": "failed"])
        #expect(r.stdout.contains("no ref, dataset or snapshot named 'nothing/here'"))
        w.dir.write("lake.yaml", Self.pipeline)
        #expect(try w.lake(["run", "score", "--force"], environment: ["LAKE_TEST_FAIL_AT": "2"]).status == 1)
        w.dir.write("lake.yaml", Self.pipeline.replacingOccurrences(of: "scale: 10", with: "scale: 5"))
        let changed = try w.lake(["--json", "run", "score", "--resume"], environment: ["LAKE_TEST_FAIL_AT": ""])
        #expect(changed.status == 0)
        #expect(!changed.stdout.contains("resumed"), "a failed run of another declaration is not continued")
        #expect(try w.lake("cat", "runs/passX:scores.csv").stdout == "1,5\n2,10\n3,15\n4,20\n")
    }

    @Test func unknownStagesAndMissingFilesAreErrors() throws {
        let w = try workspace()
        let stage = try w.lake("run", "nope")
        #expect(stage.status == 4)
        #expect(stage.stderr.contains("no stage 'nope'; its stages are export, score, report, audit") || stage.stderr.contains("no stage 'nope' in the pipeline"))
        let file = try w.lake("run", "--pipeline", "missing.yaml")
        #expect(file.status == 4)
        #expect(file.stderr.contains("cannot read pipeline file"))
    }

    @Test func anOldOutputReproducesIdenticallyAndANondeterministicOneIsReportedAsDiffering() throws {
        let w = try workspace()
        #expect(try w.lake("run").status == 0)
        w.dir.write("lake.yaml", Self.pipeline.replacingOccurrences(of: "scale: 10", with: "scale: 3"))
        w.dir.write("score.sh", Self.score + "\n# changed after the first run\n")
        #expect(try w.lake("run").status == 0)
        // runs/passX@1 was made with scale 10 and the first score.sh: both come from the run's record.
        let same = try w.lake("reproduce", "runs/passX@1")
        #expect(same.status == 0, "\(same.stdout) \(same.stderr)")
        #expect(same.stdout.contains("identical"))
        #expect(try w.lake("cat", "reproduce/runs/passX:scores.csv").stdout == "1,10\n2,20\n3,30\n4,40\n")
        let reproduction = try #require((LakeCLI.json(try w.lake("--json", "runs", "--stage", "score")) as? [[String: Any]])?.first)
        #expect(reproduction["reproduces"] as? String != nil)
        #expect(try w.lake("cat", "runs/passX:scores.csv").stdout == "1,3\n2,6\n3,9\n4,12\n", "the original dataset is untouched")

        #expect(try w.lake(["exec", "--out", "o=noisy/clock", "--", "sh", "-c", "date +%s%N > $LAKE_OUT_o/now.txt; echo same > $LAKE_OUT_o/same.txt"]).status == 0)
        let differs = try w.lake("reproduce", "noisy/clock")
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("o: differs"), "\(differs.stdout)")
        #expect(differs.stdout.contains("changed now.txt"))
        #expect(!differs.stdout.contains("same.txt"))
        w.dir.write("hand/notes.txt", "made by hand\n")
        #expect(try w.lake("commit", "hand", "--dataset", "notes").status == 0)
        let twice = try w.lake("reproduce", "runs/passX@1")
        let original = try #require(same.stdout.split(separator: " ").dropFirst().first)
        #expect(twice.stdout.hasPrefix("reproduced \(original) "), "a reproduction is never itself reproduced: \(twice.stdout)")
        let dot = try w.lake("lineage", "reports/count", "--format", "dot")
        #expect(dot.stdout.contains("\\nreport\"]"), "the stage is on its own line: \(dot.stdout)")
        let committed = try w.lake("reproduce", "notes")
        #expect(committed.status == 4)
        #expect(committed.stderr.contains("was not made by a run"))
    }
}
