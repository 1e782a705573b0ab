import Foundation
import LakeTestSupport
import Testing

@Suite struct ImportTests {
    @Test func iterationsBecomeVersionsInTimeOrderAndPointersBecomeRefs() throws {
        let w = try CLIWorkspace()
        // Written newest first: the order of versions comes from the names, not the disk.
        w.dir.write("rff/runs/passX_mini_v0_20261121_101500/ok.jsonl", "{\"id\":1}\n{\"id\":2}\n")
        w.dir.write("rff/runs/passX_mini_v0_20261120_090000/ok.jsonl", "{\"id\":1}\n")
        w.dir.write("rff/evals/passC_prompt_v0_20261121_110000/ok.jsonl", "{\"ok\":1}\n")
        w.dir.write("rff/evals/_current/PASSC_LATEST/ok.jsonl", "{\"ok\":1}\n")
        w.dir.write("rff/notes.txt", "not an iteration")
        #expect(try w.sh("ln -s ../../runs/passX_mini_v0_20261120_090000 rff/evals/_current/EXP_LATEST").status == 0)

        let dry = try w.lake("import", "rff", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("3 versions in 2 datasets, 2 refs (layout iterations); nothing was changed"), "\(dry.stdout)")
        #expect(try w.lake("ls").stdout.contains("runs/passX") == false, "a dry run changes nothing")

        let first = try w.lake("import", "rff")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("imported 3 new versions (0 already there), 2 refs moved"), "\(first.stdout)")
        #expect(first.stderr.contains("notes.txt"), "unmatched paths are named")
        let versions = LakeCLI.json(try w.lake("--json", "log", "runs/passX")) as? [[String: Any]]
        #expect(versions?.map { $0["created_at"] as? String } == ["2026-11-20T09:00:00.000Z", "2026-11-21T10:15:00.000Z"])
        #expect(versions?.map { $0["source"] as? String } == ["import", "import"])
        // A symlink pointer names the iteration it points at; a copied pointer whose content
        // equals an iteration names that snapshot.
        #expect(try w.lake("show", "evals/_current/EXP_LATEST").stdout.contains("version  runs/passX@1"))
        #expect(try w.lake("cat", "evals/_current/PASSC_LATEST:ok.jsonl").stdout == "{\"ok\":1}\n")

        let again = try w.lake("import", "rff")
        #expect(again.stdout.contains("imported 0 new versions (3 already there), 0 refs moved"), "\(again.stdout)")
        #expect(try w.lake(["query", "--format", "csv", "SELECT count(*) FROM ref_log"]).stdout == "count(*)\n2\n")

        // A new iteration later is appended.
        w.dir.write("rff/runs/passX_mini_v0_20261122_080000/ok.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n")
        #expect(try w.lake("import", "rff").stdout.contains("imported 1 new version (3 already there)"))
        #expect(try w.lake(["query", "--format", "csv", "SELECT max(version) FROM version_details WHERE dataset = 'runs/passX'"]).stdout == "max(version)\n3\n")
    }

    @Test func aNaturalCorpusRootBecomesKindedDatasetsAndLedgersOnlyGrow() throws {
        let w = try CLIWorkspace()
        w.dir.write("natural/raw/green/permissive/t1/doc.txt", "text")
        w.dir.write("natural/raw/yellow/quarantine/t2/doc.txt", "held")
        w.dir.write("natural/combined/copyleft/shards/shard-0.jsonl", "{\"content_sha256\":\"a\"}\n{\"content_sha256\":\"b\"}\n")
        w.dir.write("natural/_ledger/yellow_passed.jsonl", "{\"id\":1}\n{\"id\":2}\n")
        w.dir.write("natural/_pitches/pitch-1.jsonl", "{\"p\":1}\n")
        w.dir.write("natural/_manifests/m.json", "{\"n\": 2}")
        #expect(try w.sh("gzip natural/combined/copyleft/shards/shard-0.jsonl").status == 0)

        let r = try w.lake("import", "natural")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("(layout natural-corpus)"), "auto picks the layout from the root")
        let kinds = try w.lake(["query", "--format", "csv", "SELECT dataset, kind, rows FROM version_details ORDER BY dataset"])
        #expect(kinds.stdout == """
            dataset,kind,rows
            natural/_ledger/yellow_passed,ledger,2
            natural/_manifests,manifest,
            natural/_pitches,pitch,1
            natural/combined/copyleft,run,2
            natural/raw/green/permissive,run,
            natural/raw/yellow/quarantine,quarantine,

            """, "\(kinds.stdout)")

        // The ledger grows between imports: a new version, and log shows what it appended.
        w.dir.write("natural/_ledger/yellow_passed.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n")
        #expect(try w.lake("import", "natural").stdout.contains("imported 1 new version (5 already there)"))
        let log = try w.lake("log", "natural/_ledger/yellow_passed")
        #expect(log.stdout.contains("APPENDED"))
        #expect(log.stdout.split(separator: "\n").first { $0.hasPrefix("@2") }?.contains("+1") == true, "\(log.stdout)")

        // A resumed job that truncated the ledger is refused with what would be lost, before
        // anything else of the import is recorded (a new pitch here).
        w.dir.write("natural/_ledger/yellow_passed.jsonl", "{\"id\":1}\n")
        w.dir.write("natural/_pitches/pitch-2.jsonl", "{\"p\":2}\n")
        let truncated = try w.lake("import", "natural")
        #expect(truncated.status == 5)
        #expect(truncated.stderr.contains("it would lose 18 of its 27 bytes (2 of its 3 rows)"), "\(truncated.stderr)")
        #expect(try w.lake(["query", "--format", "csv", "SELECT count(*) FROM version_details"]).stdout == "count(*)\n7\n")

        // A pool whose directory is old but whose shard is new is dated by the shard.
        #expect(try w.sh("touch -d '2020-01-01 00:00:00 UTC' natural/raw/green/permissive natural/raw/green/permissive/t1 && "
                  + "echo more >> natural/raw/green/permissive/t1/doc.txt && touch -d '2026-03-04 05:06:07 UTC' natural/raw/green/permissive/t1/doc.txt && "
                  + "touch -d '2020-01-01 00:00:00 UTC' natural/raw/green/permissive/t1").status == 0)
        w.dir.write("natural/_ledger/yellow_passed.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n")
        #expect(try w.lake("import", "natural").status == 0)
        let dated = try w.lake(["query", "--format", "csv", "SELECT created_at FROM version_details WHERE dataset = 'natural/raw/green/permissive' AND version = 2"])
        #expect(dated.stdout == "created_at\n2026-03-04T05:06:07.000Z\n", "\(dated.stdout)")
    }

    /// A pointer or a ledger that is a link out of the root is not imported, and is named as
    /// unmatched: an import takes in the root's files, not whatever a link reaches.
    @Test func linksOutOfTheRootAreNotImported() throws {
        let w = try CLIWorkspace()
        w.dir.write("secret/key.pem", "TOPSECRET\n")
        w.dir.write("rff/runs/passX_mini_v0_20261120_090000/ok.jsonl", "{\"id\":1}\n")
        #expect(try w.sh("mkdir -p rff/evals/_current && ln -s ../../../secret rff/evals/_current/LEAK").status == 0)
        #expect(try w.sh("ln -s ../../runs/passX_mini_v0_20261120_090000 rff/evals/_current/EXP_LATEST").status == 0)
        let r = try w.lake("import", "rff")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("imported 1 new version (0 already there), 1 ref moved"), "\(r.stdout)")
        #expect(r.stderr.contains("evals/_current/LEAK"), "named as unmatched: \(r.stderr)")
        #expect(try w.lake("show", "evals/_current/EXP_LATEST").stdout.contains("version  runs/passX@1"), "a link inside the root still works")
        #expect(try w.lake(["query", "--format", "csv", "SELECT count(*) FROM snapshot_files WHERE path LIKE '%key.pem'"]).stdout == "count(*)\n0\n")
    }

    @Test func aBadLayoutIsNamedWithItsLine() throws {
        let w = try CLIWorkspace()
        w.dir.write("tree/a_20260101_000000/x.txt", "x")
        w.dir.write("layout.yaml", "version: 1\nrules:\n  - match: '^(?<a>.+$'\n    dataset: '{a}'\n")
        let bad = try w.lake("import", "tree", "--layout", "layout.yaml")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("layout.yaml:3: 'match' is not a regular expression"), "\(bad.stderr)")
        let unknown = try w.lake("import", "tree", "--layout", "nope")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("give one of auto, iterations, natural-corpus"))
        #expect(try w.lake("import", "missing-dir").status == 4)
        // A layout of one's own: every directory is a dataset named after it.
        w.dir.write("own.yaml", "version: 1\nrules:\n  - match: '^(?<d>[^/]+)$'\n    type: dir\n    dataset: 'mine/{d}'\n")
        let own = try w.lake("import", "tree", "--layout", "own.yaml")
        #expect(own.status == 0, "\(own.stderr)")
        #expect(try w.lake("ls").stdout.contains("mine/a_20260101_000000"))
    }
}
