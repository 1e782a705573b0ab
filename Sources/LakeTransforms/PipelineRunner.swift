import Foundation
import LakeCatalog
import LakeCore
import LakeKit
import LakeQuery

/// What became of one stage in `lake run`.
public struct StageOutcome: Codable, Sendable, Equatable {
    /// `ran`, `cached`, `failed` or `skipped`; with --dry-run `would run` or `would reuse`.
    public var status: String
    public var stage: String
    public var run: String?
    /// Why it ran, was reused or skipped: the input, param, code file or upstream that changed.
    public var reasons: [String]
    /// Output name → `dataset@version`.
    public var outputs: [String: String]
}

/// The outcome of every stage of one `lake run`.
public struct PipelineReport: Codable, Sendable, Equatable {
    public var stages: [StageOutcome]
    public var failed: Bool { stages.contains { $0.status == "failed" } }
}

/// Runs a pipeline's stages in dependency order, reusing a stage whose run key matches an
/// earlier successful run, isolating failures to the stages that depend on them.
public struct PipelineRunner {
    public let lake: Lake
    public let pipeline: Pipeline

    public init(lake: Lake, pipeline: Pipeline) {
        self.lake = lake
        self.pipeline = pipeline
    }

    /// What goes into a run key: any change to one of these makes the stage run again.
    struct KeyParts: Codable, Equatable {
        var command: [String]
        var params: String
        var inputs: [String: String]
        var code: [String: String]
        var environment: [String: String]
        var outputs: [String]
    }

    /// Runs `names` (all stages when empty) and their upstream stages.
    public func run(_ names: [String], force: Bool = false, dryRun: Bool = false, resume: Bool = false,
                    streams: ExecStreams = .discard) throws -> PipelineReport {
        let order = try pipeline.order(of: names.isEmpty ? pipeline.stages.map(\.name) : names)
        var outcomes = [String: StageOutcome]()
        /// `STAGE.OUTPUT` → snapshot id, for downstream inputs.
        var produced = [String: String]()
        var report = PipelineReport(stages: [])
        for name in order {
            let stage = pipeline.stage(name)!
            let blocked = stage.upstream.filter { ["failed", "skipped"].contains(outcomes[$0]?.status ?? "") }
            if !blocked.isEmpty {
                let outcome = StageOutcome(status: "skipped", stage: name, run: nil,
                                           reasons: blocked.map { "upstream stage '\($0)' \(outcomes[$0]!.status)" }, outputs: [:])
                outcomes[name] = outcome
                report.stages.append(outcome)
                continue
            }
            let pending = stage.upstream.filter { outcomes[$0]?.status == "would run" }
            if dryRun, !pending.isEmpty {
                let outcome = StageOutcome(status: "would run", stage: name, run: nil,
                                           reasons: pending.map { "upstream stage '\($0)' will run" }, outputs: [:])
                outcomes[name] = outcome
                report.stages.append(outcome)
                continue
            }
            let outcome: StageOutcome
            do {
                outcome = try runStage(stage, produced: &produced, force: force, dryRun: dryRun, resume: resume, streams: streams)
            } catch let failure as LakeFailure {
                // A stage that cannot start (an input that resolves to nothing, a command not
                // found) fails alone, like one whose command fails.
                outcome = StageOutcome(status: "failed", stage: name, run: nil, reasons: ["\(failure)"], outputs: [:])
            }
            outcomes[name] = outcome
            report.stages.append(outcome)
        }
        return report
    }

    private func runStage(_ stage: Pipeline.Stage, produced: inout [String: String], force: Bool, dryRun: Bool, resume: Bool,
                          streams: ExecStreams) throws -> StageOutcome {
        var inputs = [String: String]()
        var planInputs = [ExecPlan.Input]()
        for input in stage.inputs {
            let snapshot: String
            switch input.source {
            case .stage(let from, let output): snapshot = produced["\(from).\(output)"]!
            case .target(let target): snapshot = try lake.resolve(target).0.description
            }
            inputs[input.name] = snapshot
            planInputs.append(.init(name: input.name, target: snapshot))
        }
        let parts = KeyParts(command: stage.command, params: stage.params, inputs: inputs, code: try codeHashes(stage),
                             environment: Self.keyedEnvironment(stage.environment),
                             outputs: stage.outputs.map { "\($0.name)=\($0.dataset):\($0.kind)" })
        let key = SHA256Hasher.hash(Array(try JSONEncoder.sorted.encode(parts))).description
        let previous = try lake.catalog.lastRun(stage: stage.name, statuses: ["succeeded", "cached"])
        let reasons = Self.changes(from: previous, to: parts)
        let reusable = force ? nil : try lake.catalog.succeededRun(key: key)
        func remember(_ run: RunRecord) -> [String: String] {
            var outputs = [String: String]()
            for o in run.outputs {
                produced["\(stage.name).\(o.name)"] = o.snapshot
                outputs[o.name] = "\(o.dataset)@\(o.version)"
            }
            return outputs
        }
        if dryRun {
            if let reusable {
                _ = remember(reusable)
                return StageOutcome(status: "would reuse", stage: stage.name, run: reusable.id, reasons: ["nothing changed since \(reusable.id)"], outputs: [:])
            }
            return StageOutcome(status: "would run", stage: stage.name, run: nil, reasons: force ? ["--force"] : reasons, outputs: [:])
        }
        if let reusable {
            let run = try recordCached(stage, reusing: reusable, key: key, parts: parts)
            try promote(stage, run)
            return StageOutcome(status: "cached", stage: stage.name, run: run.id, reasons: ["nothing changed since \(reusable.id)"], outputs: remember(run))
        }
        let plan = ExecPlan(command: stage.command, inputs: planInputs, outputs: stage.outputs, params: stage.params,
                            environment: stage.environment, stage: stage.name, message: nil, code: stage.code, codeRoot: pipeline.directory)
        var resuming: String?
        // Only a failed run of this very declaration is continued: its kept directory holds
        // the params, inputs and code the key names.
        if resume, let failed = try lake.catalog.lastRun(stage: stage.name), failed.status == "failed", failed.runKey == key,
           FileManager.default.fileExists(atPath: lake.runsDirectory + "/" + failed.id) {
            resuming = failed.id
        }
        let result = try FileManager.default.changingDirectory(to: pipeline.directory) {
            try lake.exec(plan, resuming: resuming, runKey: key, streams: streams)
        }
        guard result.run.status == "succeeded" else {
            return StageOutcome(status: "failed", stage: stage.name, run: result.run.id,
                                reasons: ["exit status \(result.run.exitCode ?? -1); kept in \(result.keptDirectory ?? "?"), 'lake run \(stage.name) --resume' continues it"],
                                outputs: [:])
        }
        try promote(stage, result.run)
        return StageOutcome(status: "ran", stage: stage.name, run: result.run.id,
                            reasons: force ? ["--force"] : (resuming.map { ["resumed \($0)"] } ?? reasons), outputs: remember(result.run))
    }

    private func recordCached(_ stage: Pipeline.Stage, reusing original: RunRecord, key: String, parts: KeyParts) throws -> RunRecord {
        let now = Timestamp.now()
        var run = RunRecord(id: Lake.newRunID(Date()), status: "cached", argv: stage.command, host: Actor.host, actor: Actor.current,
                            lakeVersion: LakeFormat.toolVersion, startedAt: now, endedAt: now, durationMs: 0)
        run.stage = stage.name
        run.runKey = key
        run.cwd = pipeline.directory
        run.params = stage.params
        run.environment = Lake.recordedEnvironment(stage.environment)
        run.code = parts.code
        run.reuses = original.id
        run.inputs = original.inputs
        run.outputs = original.outputs.map { .init(name: $0.name, dataset: $0.dataset, kind: $0.kind, snapshot: $0.snapshot) }
        return try lake.recordRun(run)
    }

    /// Evaluates the stage's gates on its outputs, then moves its ref; a failing gate throws
    /// (the stage fails, its ref stays).
    private func promote(_ stage: Pipeline.Stage, _ run: RunRecord) throws {
        var results: [GateResult]?
        var current: SnapshotID?
        if let ref = stage.promote { current = try lake.catalog.ref(ref).map { try SnapshotID(parsing: $0.snapshot) } }
        if !stage.gates.isEmpty, let first = run.outputs.first {
            let engine = try QueryEngine(lake: lake)
            for o in run.outputs { _ = try engine.loadTable(o.name, target: o.snapshot) }
            results = try engine.evaluate(gates: stage.gates, candidate: try SnapshotID(parsing: first.snapshot), current: current)
        }
        guard let ref = stage.promote, let output = run.outputs.first else { return }
        _ = try lake.promote(ref, to: output.snapshot, expect: current?.description ?? "none",
                             message: "stage \(stage.name), run \(run.id)", gates: results)
    }

    /// sha256 of each declared code file, by its path relative to the pipeline file.
    private func codeHashes(_ stage: Pipeline.Stage) throws -> [String: String] {
        var out = [String: String]()
        for path in stage.code {
            let full = path.hasPrefix("/") ? path : pipeline.directory + "/" + path
            guard let data = FileManager.default.contents(atPath: full) else {
                throw PipelineError.invalid(path: pipeline.path, line: stage.line, stage: stage.name, problem: "code file '\(path)' does not exist")
            }
            out[path] = SHA256Hasher.hash(Array(data)).description
        }
        return out
    }

    /// Values of the declared environment names; secrets stay out of the key as they stay out
    /// of the catalog (rotating a key does not make a stage run again).
    static func keyedEnvironment(_ names: [String]) -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var out = [String: String]()
        for name in names where !Lake.isSecret(name) { out[name] = env[name] ?? "<unset>" }
        return out
    }

    /// Why a stage must run again, compared with its last successful (or reused) run.
    static func changes(from previous: RunRecord?, to parts: KeyParts) -> [String] {
        guard let previous else { return ["it never ran"] }
        var out = [String]()
        if previous.argv != parts.command { out.append("command changed") }
        if (previous.params ?? "{}") != parts.params { out.append("params changed: \(previous.params ?? "{}") -> \(parts.params)") }
        let before = Dictionary(previous.inputs.map { ($0.name, $0.snapshot) }, uniquingKeysWith: { a, _ in a })
        for (name, snapshot) in parts.inputs.sorted(by: { $0.key < $1.key }) where before[name] != snapshot {
            out.append("input '\(name)' changed: \(before[name].map { String($0.dropFirst(7).prefix(12)) } ?? "none") -> \(snapshot.dropFirst(7).prefix(12))")
        }
        for name in before.keys.sorted() where parts.inputs[name] == nil { out.append("input '\(name)' removed") }
        for (path, hash) in parts.code.sorted(by: { $0.key < $1.key }) where previous.code?[path] != hash {
            out.append("code file '\(path)' changed")
        }
        let recorded = previous.environment ?? [:]
        for (name, value) in parts.environment.sorted(by: { $0.key < $1.key }) where recorded[name] != value {
            out.append("environment \(name) changed")
        }
        let outputs = previous.outputs.map { "\($0.name)=\($0.dataset):\($0.kind)" }.sorted()
        if outputs != parts.outputs.sorted() { out.append("outputs changed") }
        return out.isEmpty ? ["the stage's declaration changed"] : out
    }
}

extension FileManager {
    /// Runs `body` with the process's working directory set to `path` (relative commands and
    /// code files of a pipeline are relative to its file), then restores it.
    func changingDirectory<T>(to path: String, _ body: () throws -> T) throws -> T {
        let before = currentDirectoryPath
        guard changeCurrentDirectoryPath(path) else { throw SystemError("enter", path: path) }
        defer { _ = changeCurrentDirectoryPath(before) }
        return try body()
    }
}
