import Foundation
import GRDB
import LakeCore
import LakeStore

/// One execution of a command or stage: what ran, on which inputs, with which code, params
/// and environment, what came out and how it ended. The same shape is a journal record and
/// what `lake runs --json` prints.
public struct RunRecord: Codable, Equatable, Sendable {
    public struct Input: Codable, Equatable, Sendable {
        public var name: String
        public var snapshot: String
        public init(name: String, snapshot: String) { (self.name, self.snapshot) = (name, snapshot) }
    }

    public struct Output: Codable, Equatable, Sendable {
        public var name: String
        public var dataset: String
        public var kind: String
        public var snapshot: String
        /// Set when recorded: the version the snapshot became (or already was, see `created`).
        public var version: Int
        /// False when the dataset's latest version held this snapshot already.
        public var created: Bool

        public init(name: String, dataset: String, kind: String, snapshot: String) {
            (self.name, self.dataset, self.kind, self.snapshot, version, created) = (name, dataset, kind, snapshot, 0, false)
        }
    }

    public var id: String
    public var stage: String?
    /// `succeeded`, `failed` or `cached`.
    public var status: String
    public var runKey: String?
    public var argv: [String]
    /// The directory lake was started from (for a stage: its pipeline file's directory); the
    /// command itself runs in a fresh work directory.
    public var cwd: String?
    public var params: String?
    public var environment: [String: String]?
    /// Declared code files and their hashes (pipeline stages).
    public var code: [String: String]?
    public var codeVersion: String?
    public var host: String
    public var actor: String
    public var lakeVersion: String
    public var startedAt: String
    public var endedAt: String
    public var durationMs: Int64
    public var exitCode: Int32?
    public var peakRssKb: Int64?
    public var stdoutObject: String?
    public var stderrObject: String?
    public var attempt: Int
    public var resumes: String?
    public var reuses: String?
    public var reproduces: String?
    public var message: String?
    public var inputs: [Input]
    public var outputs: [Output]

    public init(id: String, status: String, argv: [String], host: String, actor: String, lakeVersion: String,
                startedAt: String, endedAt: String, durationMs: Int64) {
        (self.id, self.status, self.argv, self.host, self.actor, self.lakeVersion) = (id, status, argv, host, actor, lakeVersion)
        (self.startedAt, self.endedAt, self.durationMs) = (startedAt, endedAt, durationMs)
        attempt = 1
        inputs = []
        outputs = []
    }
}

extension Catalog {
    /// Records a finished run: each output becomes the next version of its dataset (unless the
    /// dataset's latest version holds it already), with lineage from every input, in one
    /// journaled transaction. `outputs` holds the manifests of the output snapshots, durable.
    public func recordRun(_ draft: RunRecord, outputs: [String: SnapshotContent]) throws -> RunRecord {
        try batch { try $0.recordRun(draft, outputs: outputs) }
    }

    func recordRun(_ db: Database, _ draft: RunRecord, outputs: [String: SnapshotContent]) throws -> RunRecord {
        var run = draft
        for i in run.outputs.indices {
            let o = run.outputs[i]
            if let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT kind FROM datasets WHERE name = ?"), arguments: [o.dataset]),
               existing != o.kind {
                throw CatalogError.kindMismatch(dataset: o.dataset, existing: existing, given: o.kind)
            }
            let latest = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT v.version, v.snapshot_id FROM versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE d.name = ? ORDER BY v.version DESC LIMIT 1
                """), arguments: [o.dataset])
            // Two outputs of one run into one dataset are refused by the caller; a
            // dataset's new version number is its latest plus one.
            if let latest, latest["snapshot_id"] == o.snapshot {
                run.outputs[i].version = latest["version"]
            } else {
                run.outputs[i].version = (latest?["version"] ?? 0) + 1
                run.outputs[i].created = true
            }
        }
        try journalAndApply(db, .run(run), known: outputs)
        return run
    }

    func insertRun(_ db: Database, _ r: RunRecord, known: [String: SnapshotContent]) throws {
        let env = try r.environment.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        let code = try r.code.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try db.cachedStatement(sql: """
            INSERT INTO runs (id, stage, status, run_key, argv, cwd, params, environment, code, code_version, host, actor, lake_version,
                              started_at, ended_at, duration_ms, exit_code, peak_rss_kb, stdout_object, stderr_object,
                              attempt, resumes, reuses, reproduces, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [r.id, r.stage, r.status, r.runKey, String(decoding: try JSONEncoder.sorted.encode(r.argv), as: UTF8.self),
                             r.cwd, r.params, env, code, r.codeVersion, r.host, r.actor, r.lakeVersion, r.startedAt, r.endedAt, r.durationMs,
                             r.exitCode, r.peakRssKb, r.stdoutObject, r.stderrObject, r.attempt, r.resumes, r.reuses,
                             r.reproduces, r.message])
        for i in r.inputs {
            try db.cachedStatement(sql: "INSERT INTO run_inputs (run_id, name, snapshot_id) VALUES (?, ?, ?)").execute(arguments: [r.id, i.name, i.snapshot])
        }
        for o in r.outputs {
            if o.created {
                try insertVersion(db, .init(dataset: o.dataset, kind: o.kind, version: o.version, snapshot: o.snapshot, at: r.endedAt,
                                            message: r.message, source: "run", sourcePath: nil), runID: r.id, known: known)
            }
            try db.cachedStatement(sql: "INSERT INTO run_outputs (run_id, name, dataset, version, snapshot_id) VALUES (?, ?, ?, ?, ?)").execute(
                           arguments: [r.id, o.name, o.dataset, o.version, o.snapshot])
        }
    }

    /// Runs, newest first, optionally of one status or stage.
    public func runs(status: String? = nil, stage: String? = nil, limit: Int = 1000) throws -> [RunRecord] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM runs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR stage = ?2)
                ORDER BY started_at DESC, id DESC LIMIT ?3
                """), arguments: [status, stage, limit]).map { try Self.run(db, $0) }
        }
    }

    /// The run with this id, or nil.
    public func run(_ id: String) throws -> RunRecord? {
        try read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE id = ?"), arguments: [id]).map { try Self.run(db, $0) } }
    }

    /// The run that produced a snapshot (the newest, when several did; a reproduction that
    /// made the same bytes does not count), or nil.
    public func producingRun(of snapshot: SnapshotID) throws -> RunRecord? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT r.* FROM runs r JOIN run_outputs o ON o.run_id = r.id
                WHERE o.snapshot_id = ? AND r.status = 'succeeded' AND r.reproduces IS NULL ORDER BY r.started_at DESC LIMIT 1
                """), arguments: [snapshot.description]).map { try Self.run(db, $0) }
        }
    }

    /// The newest succeeded run with this key: its outputs can be reused.
    public func succeededRun(key: String) throws -> RunRecord? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE run_key = ? AND status = 'succeeded' AND reproduces IS NULL ORDER BY started_at DESC LIMIT 1"),
                             arguments: [key]).map { try Self.run(db, $0) }
        }
    }

    /// The newest run of a stage with one of `statuses`; reproductions do not count.
    public func lastRun(stage: String, statuses: [String] = ["succeeded", "cached", "failed"]) throws -> RunRecord? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT * FROM runs WHERE stage = ? AND status IN (SELECT value FROM json_each(?)) AND reproduces IS NULL
                ORDER BY started_at DESC, id DESC LIMIT 1
                """), arguments: [stage, String(decoding: try JSONEncoder.sorted.encode(statuses), as: UTF8.self)]).map { try Self.run(db, $0) }
        }
    }

    /// The objects runs name (their logs and code files), with the run that names each: fsck
    /// checks them, gc keeps them, reproduce needs the code.
    public func runObjects() throws -> [(object: String, run: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT stdout_object, id FROM runs WHERE stdout_object IS NOT NULL
                UNION ALL SELECT stderr_object, id FROM runs WHERE stderr_object IS NOT NULL
                UNION ALL SELECT j.value, r.id FROM runs r, json_each(r.code) j WHERE r.code IS NOT NULL
                """).map { ($0[0], $0[1]) }
        }
    }

    static func run(_ db: Database, _ row: Row) throws -> RunRecord {
        let id: String = row["id"]
        var r = RunRecord(id: id, status: row["status"], argv: try JSONDecoder().decode([String].self, from: Data((row["argv"] as String).utf8)),
                          host: row["host"], actor: row["actor"], lakeVersion: row["lake_version"], startedAt: row["started_at"],
                          endedAt: row["ended_at"], durationMs: row["duration_ms"])
        r.stage = row["stage"]
        r.runKey = row["run_key"]
        r.cwd = row["cwd"]
        r.params = row["params"]
        r.environment = try (row["environment"] as String?).map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        r.code = try (row["code"] as String?).map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        r.codeVersion = row["code_version"]
        r.exitCode = row["exit_code"]
        r.peakRssKb = row["peak_rss_kb"]
        r.stdoutObject = row["stdout_object"]
        r.stderrObject = row["stderr_object"]
        r.attempt = row["attempt"]
        r.resumes = row["resumes"]
        r.reuses = row["reuses"]
        r.reproduces = row["reproduces"]
        r.message = row["message"]
        // Cached statements: a lineage reads a hundred runs, and compiling a statement (with
        // GRDB's authorizer called for every column) costs more than running it.
        r.inputs = try Row.fetchAll(db.cachedStatement(sql: "SELECT name, snapshot_id FROM run_inputs WHERE run_id = ? ORDER BY name"), arguments: [id])
            .map { RunRecord.Input(name: $0["name"], snapshot: $0["snapshot_id"]) }
        r.outputs = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT o.name, o.dataset, d.kind, o.version, o.snapshot_id,
                   EXISTS (SELECT 1 FROM versions v WHERE v.run_id = o.run_id AND v.dataset_id = d.id AND v.version = o.version) AS created
            FROM run_outputs o JOIN datasets d ON d.name = o.dataset WHERE o.run_id = ? ORDER BY o.name
            """), arguments: [id]).map {
            var o = RunRecord.Output(name: $0["name"], dataset: $0["dataset"], kind: $0["kind"], snapshot: $0["snapshot_id"])
            o.version = $0["version"]
            o.created = $0["created"]
            return o
        }
        return r
    }
}

extension JSONEncoder {
    /// Sorted keys, no whitespace, unescaped slashes: one spelling per value, for the catalog's
    /// JSON columns and for hashing run keys.
    public static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
