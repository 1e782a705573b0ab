import Foundation
import LakeCore
import LakeKit
import LakeStore
import Yams

/// A pipeline file (`lake.yaml`, docs/pipelines.md): named stages, each a transform from
/// catalogued inputs to new versions of its output datasets.
///
/// ```yaml
/// stages:
///   score:
///     command: python3 step2.py          # a string runs with sh -c; a list runs as is
///     inputs: {words: export.words, anchors: anchors/_current}
///     outputs: {scores: runs/passX:run}
///     params: {batch: 32}
///     code: [step2.py]
///     env: [OPENAI_MODEL]
///     promote: field/_current/SCORES
/// ```
public struct Pipeline: Sendable, Equatable {
    public struct Stage: Sendable, Equatable {
        public enum InputSource: Sendable, Equatable {
            /// Another stage's output: `STAGE.OUTPUT`.
            case stage(String, output: String)
            /// A TARGET in the lake: a ref, `DATASET@latest`, …
            case target(String)
        }

        public var name: String
        public var line: Int
        public var command: [String]
        public var inputs: [(name: String, source: InputSource)]
        public var outputs: [ExecPlan.Output]
        /// Canonical JSON (sorted keys).
        public var params: String
        /// Paths relative to the pipeline file's directory, hashed into the run key.
        public var code: [String]
        public var environment: [String]
        public var promote: RefName?
        /// SQL that must return one truthy value for the stage to succeed (and promote); each
        /// output is a table named after it, `:candidate` is the first output's snapshot and
        /// `:current` the promote ref's target.
        public var gates: [String]

        public static func == (a: Stage, b: Stage) -> Bool {
            a.name == b.name && a.command == b.command && a.outputs == b.outputs && a.params == b.params
                && a.inputs.map(\.name) == b.inputs.map(\.name) && a.inputs.map(\.source) == b.inputs.map(\.source)
                && a.code == b.code && a.environment == b.environment && a.promote == b.promote && a.gates == b.gates
        }

        /// The stages this one reads from.
        public var upstream: [String] {
            inputs.compactMap { if case .stage(let s, _) = $0.source { s } else { nil } }
        }
    }

    /// The file it was read from.
    public var path: String
    /// Stages in file order.
    public var stages: [Stage]

    public var directory: String { FileIO.parent(path) }

    public func stage(_ name: String) -> Stage? { stages.first { $0.name == name } }

    /// Reads and checks a pipeline file: unknown keys, a missing command, an unknown stage or
    /// output, a cycle and two stages writing one dataset are errors naming the stage and line.
    public static func load(_ path: String) throws -> Pipeline {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw PipelineError.unreadable(path) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw PipelineError.invalid(path: path, line: nil, stage: nil, problem: "not valid YAML: \(error)")
        }
        guard let top = root?.mapping else { throw PipelineError.invalid(path: path, line: 1, stage: nil, problem: "the file must be a mapping with 'stages'") }
        for (key, _) in top where key.string != "stages" && key.string != "version" {
            throw PipelineError.invalid(path: path, line: key.mark?.line, stage: nil, problem: "unknown key '\(key.string ?? "?")' (use 'stages')")
        }
        if let v = top["version"], v.int != 1 {
            throw PipelineError.invalid(path: path, line: v.mark?.line, stage: nil, problem: "pipeline version \(v.string ?? "?") is not one this lake reads (1)")
        }
        guard let stagesNode = top["stages"]?.mapping, !stagesNode.isEmpty else {
            throw PipelineError.invalid(path: path, line: 1, stage: nil, problem: "no stages: add a 'stages' mapping")
        }
        var stages = [Stage]()
        for (key, value) in stagesNode {
            stages.append(try parseStage(key, value, path: path))
        }
        var pipeline = Pipeline(path: path, stages: stages)
        try pipeline.check()
        return pipeline
    }

    private static func parseStage(_ key: Node, _ node: Node, path: String) throws -> Stage {
        let name = key.string ?? ""
        let line = key.mark?.line ?? 0
        func fail(_ problem: String, _ at: Node? = nil) -> PipelineError {
            .invalid(path: path, line: at?.mark?.line ?? line, stage: name, problem: problem)
        }
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
            throw fail("stage names use letters, digits, '_' and '-'")
        }
        guard let map = node.mapping else { throw fail("a stage is a mapping with at least 'command' and 'outputs'") }
        let known: Set = ["command", "inputs", "outputs", "params", "code", "env", "promote", "gate"]
        for (k, _) in map where !known.contains(k.string ?? "") {
            throw fail("unknown key '\(k.string ?? "?")'; a stage takes \(known.sorted().joined(separator: ", "))", k)
        }
        let command: [String]
        switch map["command"] {
        case .some(.scalar(let s)) where !s.string.isEmpty: command = ["sh", "-c", s.string]
        case .some(.sequence(let seq)) where !seq.isEmpty && seq.allSatisfy({ $0.string != nil }): command = seq.map { $0.string! }
        default: throw fail("no command: give 'command' as a string (run by sh -c) or a list")
        }
        var inputs = [(name: String, source: Stage.InputSource)]()
        if let node = map["inputs"] {
            guard let m = node.mapping else { throw fail("'inputs' maps names to STAGE.OUTPUT or a TARGET", node) }
            for (k, v) in m {
                guard let n = k.string, let spec = v.string else { throw fail("input '\(k.string ?? "?")' needs STAGE.OUTPUT or a TARGET", v) }
                inputs.append((n, .target(spec)))
            }
        }
        var outputs = [ExecPlan.Output]()
        guard let outNode = map["outputs"]?.mapping, !outNode.isEmpty else { throw fail("no outputs: map each output name to DATASET or DATASET:KIND") }
        for (k, v) in outNode {
            guard let n = k.string, let spec = v.string else { throw fail("output '\(k.string ?? "?")' needs DATASET or DATASET:KIND", v) }
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            outputs.append(ExecPlan.Output(name: n, dataset: parts.first ?? "", kind: parts.count > 1 ? parts[1] : Kind.other.rawValue))
        }
        var params = "{}"
        if let p = map["params"] {
            guard p.mapping != nil else { throw fail("'params' must be a mapping", p) }
            let data = try JSONSerialization.data(withJSONObject: jsonValue(p), options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            params = String(decoding: data, as: UTF8.self)
        }
        func strings(_ key: String) throws -> [String] {
            guard let n = map[key] else { return [] }
            guard let seq = n.sequence, seq.allSatisfy({ $0.string != nil }) else { throw fail("'\(key)' must be a list of strings", n) }
            return seq.map { $0.string! }
        }
        var promote: RefName?
        if let p = map["promote"] {
            guard let s = p.string else { throw fail("'promote' names a ref", p) }
            do { promote = try RefName(s) } catch { throw fail("\(error)", p) }
        }
        var gates = [String]()
        switch map["gate"] {
        case .none: break
        case .some(.scalar(let s)): gates = [s.string]
        case .some(let n): gates = try n.sequence.map { seq in try seq.map { guard let s = $0.string else { throw fail("'gate' is SQL or a list of SQL", $0) }; return s } }
            ?? { throw fail("'gate' is SQL or a list of SQL", n) }()
        }
        return Stage(name: name, line: line, command: command, inputs: inputs, outputs: outputs, params: params,
                     code: try strings("code"), environment: try strings("env"), promote: promote, gates: gates)
    }

    /// YAML params as JSON values: numbers, booleans and nulls keep their types.
    private static func jsonValue(_ node: Node) -> Any {
        switch node {
        case .mapping(let m):
            var out = [String: Any]()
            for (k, v) in m { out[k.string ?? ""] = jsonValue(v) }
            return out
        case .sequence(let s): return s.map(jsonValue)
        case .scalar:
            // The resolved tag keeps a quoted "32" a string, as YAML means it.
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return NSNull()
            case Tag.Name.bool.rawValue: return node.bool ?? false
            case Tag.Name.int.rawValue: return node.int ?? 0
            case Tag.Name.float.rawValue: return node.float ?? 0
            default: return node.string ?? ""
            }
        case .alias: return NSNull()
        }
    }

    /// Resolves `STAGE.OUTPUT` inputs, then refuses unknown stages, cycles, duplicate datasets
    /// and invalid names.
    private mutating func check() throws {
        let names = Set(stages.map(\.name))
        var writer = [String: String]()
        for i in stages.indices {
            let stage = stages[i]
            func fail(_ problem: String) -> PipelineError { .invalid(path: path, line: stage.line, stage: stage.name, problem: problem) }
            for j in stage.inputs.indices {
                guard case .target(let spec) = stage.inputs[j].source else { continue }
                if let dot = spec.firstIndex(of: "."), names.contains(String(spec[..<dot])) {
                    let from = String(spec[..<dot]), output = String(spec[spec.index(after: dot)...])
                    guard let upstream = self.stage(from), upstream.outputs.contains(where: { $0.name == output }) else {
                        throw fail("input '\(stage.inputs[j].name)' names '\(spec)', but stage '\(from)' has no output '\(output)'")
                    }
                    stages[i].inputs[j].source = .stage(from, output: output)
                } else if spec.hasPrefix("@") || spec.isEmpty {
                    throw fail("input '\(stage.inputs[j].name)' has no target")
                }
            }
            if stage.promote != nil, stage.outputs.count != 1 {
                throw fail("'promote' moves a ref to the stage's output, so the stage must have exactly one output")
            }
            let plan = ExecPlan(command: stage.command, inputs: stage.inputs.map { .init(name: $0.name, target: "x") },
                                outputs: stage.outputs, environment: stage.environment, code: stage.code)
            do { try plan.validate() } catch { throw fail("\(error)") }
            for o in stage.outputs {
                if let other = writer[o.dataset] { throw fail("output dataset '\(o.dataset)' is also written by stage '\(other)'") }
                writer[o.dataset] = stage.name
            }
        }
        _ = try order(of: stages.map(\.name))
    }

    /// `names` and every stage they read from, upstream first; a cycle is an error naming it.
    public func order(of names: [String]) throws -> [String] {
        var done = [String]()
        var visiting = [String]()
        func visit(_ name: String) throws {
            if done.contains(name) { return }
            if let start = visiting.firstIndex(of: name) {
                let cycle = visiting[start...] + [name]
                let s = stage(name)!
                throw PipelineError.invalid(path: path, line: s.line, stage: name, problem: "stages form a cycle: \(cycle.joined(separator: " -> "))")
            }
            guard let s = stage(name) else { throw PipelineError.unknownStage(name, known: stages.map(\.name)) }
            visiting.append(name)
            for u in s.upstream { try visit(u) }
            visiting.removeLast()
            done.append(name)
        }
        for n in names { try visit(n) }
        return done
    }
}

/// Errors of pipeline files and runs.
public enum PipelineError: LakeFailure {
    case unreadable(String)
    case invalid(path: String, line: Int?, stage: String?, problem: String)
    case unknownStage(String, known: [String])

    public var category: ErrorCategory {
        switch self {
        case .unreadable, .unknownStage: return .notFound
        case .invalid: return .usage
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path):
            return "cannot read pipeline file \(path); give one with --pipeline FILE (docs/pipelines.md shows the format)"
        case .invalid(let path, let line, let stage, let problem):
            return "\(path)\(line.map { ":\($0)" } ?? "")\(stage.map { ": stage '\($0)'" } ?? ""): \(problem)"
        case .unknownStage(let name, let known):
            return "no stage '\(name)' in the pipeline; its stages are \(known.joined(separator: ", "))"
        }
    }

}
