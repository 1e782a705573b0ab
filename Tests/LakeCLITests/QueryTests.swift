import Foundation
import LakeTestSupport
import Testing

@Suite struct QueryTests {
    /// Cards with validation errors (pipeline 2) and a scoring run (pipeline 1), two versions.
    func workspace() throws -> CLIWorkspace {
        let w = try CLIWorkspace()
        w.dir.write("c1/validation_errors.jsonl", """
            {"id":1,"error_type":"lemma_not_in_example","card":{"lemma":"apple"}}
            {"id":2,"error_type":"pos_mismatch"}
            {"id":3,"error_type":"pos_mismatch"}

            """)
        w.dir.write("c1/scores.csv", "word_id,rarity_level,confidence\n1,L1,0.9\n2,L2,0.5\n3,L1,0.7\n")
        #expect(try w.lake("commit", "c1", "--dataset", "cards", "--kind", "quarantine").status == 0)
        w.dir.write("c2/validation_errors.jsonl", "{\"id\":1,\"error_type\":\"pos_mismatch\"}\n")
        w.dir.write("c2/scores.csv", "word_id,rarity_level,confidence\n1,L1,0.9\n3,L1,0.8\n4,L1,0.6\n")
        #expect(try w.lake("commit", "c2", "--dataset", "cards").status == 0)
        #expect(try w.lake("promote", "cards/_current", "cards@1").status == 0)
        return w
    }

    func tool(_ args: [String], input: Data, cwd: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        try p.run()
        inPipe.fileHandleForWriting.write(input)
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: out, as: UTF8.self)
    }

    @Test func dataTablesJoinTheCatalogAndRoundTripThroughCsvAndJsonTools() throws {
        let w = try workspace()
        let r = try w.lake(["query", "--table", "e=cards@1:*.jsonl", "--format", "csv",
                            "SELECT error_type, count(*) AS n, json_extract(max(_raw), '$.card.lemma') AS lemma FROM e GROUP BY 1 ORDER BY n DESC"])
        #expect(r.status == 0, "\(r.stderr)")
        let parsed = try tool(["python3", "-c", "import csv,sys; print([r for r in csv.DictReader(sys.stdin)])"], input: r.stdoutData, cwd: w.path)
        #expect(parsed.contains("'error_type': 'pos_mismatch', 'n': '2'"), "\(parsed)")
        let json = try w.lake(["query", "--table", "s=cards:scores.csv", "--format", "json",
                               "SELECT rarity_level, round(avg(confidence), 2) AS c FROM s GROUP BY 1"])
        let viaJq = try tool(["jq", "-c", "map(select(.rarity_level == \"L1\")) | .[0].c"], input: json.stdoutData, cwd: w.path)
        #expect(viaJq.trimmingCharacters(in: .whitespacesAndNewlines) == "0.77", "numbers stay numbers: \(json.stdout)")
        let lines = try w.lake(["query", "--format", "jsonl", "SELECT dataset, version, rows FROM version_details ORDER BY version"])
        #expect(lines.stdout == "{\"dataset\":\"cards\",\"rows\":6,\"version\":1}\n{\"dataset\":\"cards\",\"rows\":4,\"version\":2}\n")
    }

    @Test func emptyFilesAreEmptyTablesWithTheirProfiledColumns() throws {
        let w = try CLIWorkspace()
        w.dir.write("q/validation_errors.jsonl", "")
        w.dir.write("q/outliers.csv", "word_id,word\n")
        #expect(try w.lake("commit", "q", "--dataset", "cards/validation_errors", "--kind", "quarantine").status == 0)
        let empty = try w.lake(["query", "--table", "e=cards/validation_errors:*.jsonl", "--format", "csv", "SELECT count(*) FROM e"])
        #expect(empty.stdout == "count(*)\n0\n", "\(empty.stderr)")
        let header = try w.lake(["query", "--table", "o=cards/validation_errors:*.csv", "--format", "csv",
                                 "SELECT count(*) FROM o WHERE word_id > 3"])
        #expect(header.stdout == "count(*)\n0\n", "a header-only CSV has its columns: \(header.stderr)")
        // The seed's ideal case: a perfect batch has an empty quarantine, and its gate holds.
        let gate = try w.lake(["promote", "cards/_current", "cards/validation_errors@1", "--gate", "SELECT count(*) = 0 FROM e",
                               "--table", "e=:candidate:*.jsonl"])
        #expect(gate.status == 0, "\(gate.stderr)")
    }

    @Test func compressedShardsAreProfiledAtCommitAndLoadAsTables() throws {
        let w = try CLIWorkspace()
        let shard = (0 ..< 300).map { "{\"id\":\($0),\"pool\":\"p\($0 % 3)\",\"text\":\"t\"}" }.joined(separator: "\n") + "\n"
        w.dir.write("corpus/green/shard-1.jsonl", shard)
        w.dir.write("corpus/green/shard-2.jsonl", shard + "{\"id\": 300, \"pool\": \"p0\", \"extra\": [1]}\n{\"cut\n")
        w.dir.write("corpus/runs.csv", "run,ok\n1,true\n2,false,extra\n")
        #expect(try w.sh("gzip corpus/green/shard-1.jsonl corpus/runs.csv && zstd -q --rm corpus/green/shard-2.jsonl").status == 0)
        #expect(try w.lake("commit", "corpus", "--dataset", "corpus").status == 0)

        let sql = "SELECT path, rows, columns, parse_errors FROM snapshot_files ORDER BY path"
        let profiles = try w.lake(["query", "--format", "jsonl", sql])
        #expect(profiles.stdout == """
            {"columns":"[\\"id\\",\\"pool\\",\\"text\\"]","parse_errors":0,"path":"green/shard-1.jsonl.gz","rows":300}
            {"columns":"[\\"id\\",\\"pool\\",\\"text\\",\\"extra\\"]","parse_errors":1,"path":"green/shard-2.jsonl.zst","rows":301}
            {"columns":"[\\"run\\",\\"ok\\"]","parse_errors":1,"path":"runs.csv.gz","rows":2}

            """, "\(profiles.stderr)")
        let shown = LakeCLI.json(try w.lake("--json", "show", "corpus@1")) as? [String: Any]
        let files = shown?["files"] as? [[String: Any]]
        #expect(files?.first?["columns"] as? [String] == ["id", "pool", "text"])

        let pools = try w.lake(["query", "--table", "c=corpus:green/*", "--format", "csv",
                                "SELECT pool, count(*) AS n, count(extra) AS with_extra FROM c GROUP BY pool ORDER BY pool"])
        #expect(pools.stdout == "pool,n,with_extra\np0,201,1\np1,200,0\np2,200,0\n", "\(pools.stderr)")
        let csv = try w.lake(["query", "--table", "r=corpus:runs.csv.gz", "--format", "csv", "SELECT run, ok FROM r ORDER BY run"])
        #expect(csv.stdout == "run,ok\n1,true\n2,false\n", "\(csv.stderr)")

        // A rebuilt catalog profiles the files again from the objects: the same answers.
        #expect(try w.lake("fsck", "--rebuild-catalog").status == 0)
        #expect(try w.lake(["query", "--format", "jsonl", sql]).stdout == profiles.stdout)
    }

    @Test(arguments: ["DELETE FROM versions", "DROP TABLE versions", "ATTACH DATABASE 'x.db' AS x", "PRAGMA writable_schema = 1",
                      "INSERT INTO datasets (name, kind, created_at) VALUES ('x', 'other', 'now')", "UPDATE refs SET snapshot_id = 'x'"])
    func nothingCanBeWritten(_ sql: String) throws {
        let w = try workspace()
        let before = try CatalogDump.dump(w.dir.at(".lake/catalog.sqlite"))
        let r = try w.lake("query", sql)
        #expect(r.status == 2)
        #expect(r.stderr.contains("not authorized") || r.stderr.contains("readonly"), "\(r.stderr)")
        #expect(try CatalogDump.dump(w.dir.at(".lake/catalog.sqlite")) == before)
        #expect(!FileManager.default.fileExists(atPath: w.dir.at("x.db")))
    }

    @Test func errorsShowSqlitesMessageAndPositionAndParamsAreBound() throws {
        let w = try workspace()
        let r = try w.lake("query", "SELECT dataset FROM version_details\nWHERE nosuch = 1")
        #expect(r.status == 2)
        #expect(r.stderr.contains("no such column: nosuch (line 2"), "\(r.stderr)")
        let injected = try w.lake(["query", "--named", "ref-history", "--param", "ref=x' OR 1=1 --"])
        #expect(injected.status == 0)
        #expect(injected.stdout.split(separator: "\n").count == 1, "only the header: the value was bound, not spliced: \(injected.stdout)")
        let history = try w.lake(["query", "--named", "ref-history", "--param", "ref=cards/_current"])
        #expect(history.stdout.contains("cards@1"))
    }

    @Test func everyNamedQueryRunsOnARealLake() throws {
        let w = try workspace()
        #expect(try w.lake(["exec", "--in", "c=cards", "--out", "o=runs/count", "--", "sh", "-c", "ls $LAKE_IN_c > $LAKE_OUT_o/files.txt"]).status == 0)
        let list = try w.lake("query", "--list")
        for name in ["error-counts", "latest", "ledger-growth", "lineage", "ref-history", "runs-by-stage"] {
            #expect(list.stdout.contains(name))
        }
        let snapshot = try #require((LakeCLI.json(try w.lake("--json", "show", "runs/count")) as? [String: Any])?["snapshot"] as? String)
        let runs: [(String, [String], String)] = [
            ("latest", [], "runs/count"),
            ("ledger-growth", ["--param", "dataset=cards"], "-2"),
            ("lineage", ["--param", "snapshot=\(snapshot)"], "runs/count  1"),
            ("runs-by-stage", [], "(exec)"),
            ("error-counts", ["--table", "errors=cards@1:*.jsonl", "--param", "field=error_type"], "66.67"),
        ]
        for (name, args, expected) in runs {
            let r = try w.lake(["query", "--named", name] + args)
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(r.stdout.contains(expected), "\(name): \(r.stdout)")
        }
    }

    @Test func gatesDecideAPromoteAndAreLogged() throws {
        let w = try workspace()
        // Pipeline 1: Jaccard of level-1 word ids against the current ref.
        let jaccard = """
            SELECT (SELECT count(*) FROM cand c JOIN cur u USING (word_id) WHERE c.rarity_level = 'L1' AND u.rarity_level = 'L1') * 1.0
                 / (SELECT count(*) FROM (SELECT word_id FROM cand WHERE rarity_level = 'L1' UNION SELECT word_id FROM cur WHERE rarity_level = 'L1')) >= 0.5
            """
        let tables = ["--table", "cand=:candidate:scores.csv", "--table", "cur=:current:scores.csv"]
        let strict = try w.lake(["promote", "cards/_current", "cards@2", "--gate", jaccard.replacingOccurrences(of: "0.5", with: "0.9")] + tables)
        #expect(strict.status == 3)
        #expect(strict.stderr.contains("gate failed") && strict.stderr.contains("returned 0"), "\(strict.stderr)")
        #expect(try w.lake("refs").stdout.contains(String((LakeCLI.json(try w.lake("--json", "show", "cards@1")) as? [String: Any])?["snapshot"] as? String ?? "?").dropFirst(7).prefix(12)))
        // Pipeline 2: the rate of one error type in the candidate's quarantine.
        let rate = "SELECT count(*) * 1.0 / (SELECT count(*) FROM e) <= 1.0 FROM e WHERE error_type = 'pos_mismatch'"
        let pass = try w.lake(["promote", "cards/_current", "cards@2", "--gate", jaccard, "--gate", rate, "--table", "e=:candidate:*.jsonl"] + tables)
        #expect(pass.status == 0, "\(pass.stderr)")
        let moves = try #require(LakeCLI.json(try w.lake("--json", "log", "cards/_current")) as? [[String: Any]])
        let gates = try #require(moves.last?["gates"] as? [[String: Any]])
        #expect(gates.count == 2)
        #expect(gates.allSatisfy { $0["value"] as? String == "1" })
        let many = try w.lake(["promote", "cards/_current", "cards@1", "--gate", "SELECT 1, 2"])
        #expect(many.status == 2)
        #expect(many.stderr.contains("exactly one value"))
    }
}

@Suite struct StageGateTests {
    /// Pipeline 4: pause when PassC's ok rate falls under 0.98; the merge waits for it.
    @Test func aStageWhoseGateFailsPromotesNothingAndStopsItsDependents() throws {
        let w = try CLIWorkspace()
        func pipeline(_ okLines: String) -> String {
            """
            stages:
              passC:
                command: [sh, -c, 'printf "\(okLines)" > "$LAKE_OUT_evals/ok.jsonl"']
                outputs: {evals: evals/passC}
                gate: SELECT avg(ok) >= 0.98 FROM evals
                promote: evals/_current/PASSC_LATEST
              merge:
                command: [sh, -c, 'wc -l < "$LAKE_IN_e/ok.jsonl" > "$LAKE_OUT_m/n.txt"']
                inputs: {e: passC.evals}
                outputs: {m: field/passG}
            """
        }
        w.dir.write("lake.yaml", pipeline(#"{\"ok\":1}\n{\"ok\":1}\n{\"ok\":0}\n"#))
        let bad = try w.lake("--json", "run")
        #expect(bad.status == 1)
        let stages = (LakeCLI.json(bad) as? [String: Any])?["stages"] as? [[String: Any]] ?? []
        #expect(stages.map { $0["status"] as? String } == ["failed", "skipped"], "\(bad.stdout)")
        #expect((stages.first?["reasons"] as? [String])?.first?.contains("gate failed") == true)
        #expect(!(try w.lake("refs").stdout.contains("PASSC_LATEST")), "a failing gate moves nothing")
        w.dir.write("lake.yaml", pipeline(#"{\"ok\":1}\n{\"ok\":1}\n"#))
        let good = try w.lake("run")
        #expect(good.status == 0, "\(good.stdout) \(good.stderr)")
        let moves = try #require(LakeCLI.json(try w.lake("--json", "log", "evals/_current/PASSC_LATEST")) as? [[String: Any]])
        #expect((moves.last?["gates"] as? [[String: Any]])?.first?["gate"] as? String == "SELECT avg(ok) >= 0.98 FROM evals")
        #expect(try w.lake("cat", "field/passG:n.txt").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }

    @Test func countsAndDiffAnswerFromTheFiles() throws {
        let w = try CLIWorkspace()
        w.dir.write("a/errors.jsonl", "{\"error_type\":\"pos_mismatch\"}\n{\"error_type\":\"pos_mismatch\"}\n{\"error_type\":\"validation\"}\n")
        w.dir.write("a/run.csv", "word_id,level\n1,L1\n2,L2\n3,L1\n")
        #expect(try w.lake("commit", "a", "--dataset", "d").status == 0)
        w.dir.write("a/run.csv", "word_id,level\n1,L1\n3,L2\n4,L1\n")
        w.dir.write("a/new.txt", "n\n")
        #expect(try w.lake("commit", "a", "--dataset", "d").status == 0)
        let counts = try #require(LakeCLI.json(try w.lake("--json", "counts", "d@1", "--by", "error_type", "--glob", "*.jsonl")) as? [String: Any])
        let groups = try #require(counts["groups"] as? [[String: Any]])
        #expect(groups.map { $0["value"] as? String } == ["pos_mismatch", "validation"])
        #expect(groups.map { $0["rows"] as? Int } == [2, 1])
        let perFile = try w.lake("counts", "d@2")
        #expect(perFile.stdout.contains("run.csv") && perFile.stdout.contains("6 rows"), "\(perFile.stdout)")
        let diff = try #require(LakeCLI.json(try w.lake("--json", "diff", "d@1", "d@2", "--key", "word_id", "--glob", "*.csv")) as? [String: Any])
        let files = try #require(diff["files"] as? [[String: Any]])
        #expect(files.map { "\($0["change"]!) \($0["path"]!)" } == ["added new.txt", "changed run.csv"])
        let records = try #require(diff["records"] as? [String: Any])
        #expect(records["added"] as? Int == 1 && records["removed"] as? Int == 1 && records["changed"] as? Int == 1 && records["unchanged"] as? Int == 1)
        #expect(records["jaccard"] as? Double == 0.5)
        let bad = try w.lake("counts", "d", "--by", "nope")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("no field 'nope'"))
    }
}

@Suite struct MetricsTests {
    /// Pipeline 5: a model is promoted only when its report's RMSE and Pearson pass.
    @Test func reportMetricsAreIndexedGateAPromoteAndSurviveARebuild() throws {
        let w = try CLIWorkspace()
        w.dir.write("m1/report_stage2.json", #"{"rmse": 0.61, "pearson": 0.80, "folds": [{"auc": 0.7}, {"auc": 0.72}], "model": "gbm", "ok": true}"#)
        w.dir.write("m1/model.pkl", "binary model\n")
        #expect(try w.lake("commit", "m1", "--dataset", "ml/stage2").status == 0)
        w.dir.write("m1/report_stage2.json", #"{"rmse": 0.41, "pearson": 0.86}"#)
        #expect(try w.lake("commit", "m1", "--dataset", "ml/stage2").status == 0)
        let show = try #require(LakeCLI.json(try w.lake("--json", "show", "ml/stage2@1")) as? [String: Any])
        let metrics = try #require(show["metrics"] as? [[String: Any]])
        #expect(metrics.map { $0["key"] as? String } == ["folds.0.auc", "folds.1.auc", "pearson", "rmse"], "numbers only, flattened")
        let gate = ["--gate", "SELECT value <= 0.5 FROM metrics WHERE snapshot_id = :candidate AND key = 'rmse'",
                    "--gate", "SELECT value >= 0.85 FROM metrics WHERE snapshot_id = :candidate AND key = 'pearson'"]
        let refused = try w.lake(["promote", "ml/_final_accepted", "ml/stage2@1"] + gate)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("key = 'rmse'"))
        #expect(try w.lake(["promote", "ml/_final_accepted", "ml/stage2@2"] + gate).status == 0)
        let before = try w.lake("--json", "query", "SELECT * FROM metrics ORDER BY snapshot_id, key").stdout
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: w.dir.at(".lake/catalog.sqlite" + suffix)) }
        #expect(try w.lake("fsck", "--rebuild-catalog").status == 0)
        #expect(try w.lake("--json", "query", "SELECT * FROM metrics ORDER BY snapshot_id, key").stdout == before, "metrics are recomputed from the objects")
    }
}

extension MetricsTests {
    /// A commit takes the metrics of unchanged files from the dataset's latest version: they
    /// must be what parsing the files gives, for every path that holds the same bytes.
    @Test func metricsOfUnchangedFilesAreThoseParsingGives() throws {
        let w = try CLIWorkspace()
        let report = #"{"rmse": 0.61, "folds": [{"auc": 0.7}, {"auc": 0.72}], "ok": true}"#
        w.dir.write("m/report.json", report)
        w.dir.write("m/model.pkl", "model 1\n")
        #expect(try w.lake("commit", "m", "--dataset", "ml").status == 0)
        w.dir.write("m/copy/report_again.json", report)
        w.dir.write("m/model.pkl", "model 2\n")
        #expect(try w.lake("commit", "m", "--dataset", "ml").status == 0)
        func metrics(_ version: Int) throws -> [String] {
            let show = try #require(LakeCLI.json(try w.lake("--json", "show", "ml@\(version)")) as? [String: Any])
            return try #require(show["metrics"] as? [[String: Any]]).map { "\($0["path"] ?? "") \($0["key"] ?? "") \($0["value"] ?? "")" }
        }
        #expect(try metrics(1) == ["report.json folds.0.auc 0.7", "report.json folds.1.auc 0.72", "report.json rmse 0.61"])
        #expect(try metrics(2) == ["copy/report_again.json folds.0.auc 0.7", "copy/report_again.json folds.1.auc 0.72",
                                   "copy/report_again.json rmse 0.61"] + metrics(1), "both paths, each under its own")
        let before = try w.lake("--json", "query", "SELECT * FROM metrics ORDER BY snapshot_id, path, key").stdout
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: w.dir.at(".lake/catalog.sqlite" + suffix)) }
        #expect(try w.lake("fsck", "--rebuild-catalog").status == 0)
        #expect(try w.lake("--json", "query", "SELECT * FROM metrics ORDER BY snapshot_id, path, key").stdout == before,
                "a rebuild parses every file again and finds the same")
    }
}

@Suite struct QueryEdgeTests {
    @Test func paramsCompareAsNumbersAndQueriesAreOneStatementWithEveryParamGiven() throws {
        let w = try CLIWorkspace()
        w.dir.write("d/scores.csv", "id,Conf,code\n1,0.9,007\n2,0.5,010\n3,1e-05,3\n")
        w.dir.write("d/rows.jsonl", "{\"a\":1,\"_raw\":\"mine\"}\nnot json\n{\"a\":2}\n")
        #expect(try w.lake("commit", "d", "--dataset", "d").status == 0)
        let r = try w.lake(["query", "--table", "s=d:*.csv", "--param", "min=0.8", "--format", "jsonl", "SELECT id, code FROM s WHERE conf >= :min"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "{\"code\":\"007\",\"id\":1}\n", "a numeric param, a case-insensitive column, 007 kept as text")
        #expect(try w.lake(["query", "--table", "s=d:*.csv", "--format", "csv", "SELECT conf FROM s WHERE id = 3"]).stdout.contains("1e-05"))
        let two = try w.lake("query", "SELECT 1; DELETE FROM versions")
        #expect(two.status == 2)
        #expect(two.stderr.contains("give one statement"))
        let missing = try w.lake("query", "--named", "ref-history")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("give it with --param ref=VALUE"))
        let rows = try w.lake(["query", "--table", "j=d:*.jsonl", "SELECT count(*), max(_raw) FROM j"])
        #expect(rows.stderr.contains("note: table j: 1 line(s) or file(s) did not parse"))
        #expect(rows.stdout.contains("{\"a\":2}") && !rows.stdout.contains("mine"), "lake's _raw is not replaced by a field of that name")
        #expect(try w.lake(["query", "--format", "jsonl", "SELECT count(*) AS n FROM json_each('[1,2,3]')"]).stdout == "{\"n\":3}\n")
        let stray = try w.lake(["promote", "r", "d", "--table", "x=d"])
        #expect(stray.status == 2)
        #expect(stray.stderr.contains("--table and --param serve --gate"))
    }
}
