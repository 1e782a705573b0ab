import Foundation
import LakeCatalog
import LakeCore
import LakeKit
import LakeStore

/// How one output of a reproduced run compares with the original.
public struct OutputComparison: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        /// `added`, `removed` or `changed`.
        public var change: String
        public var path: String
        public var sizeBefore: UInt64?
        public var sizeAfter: UInt64?
    }

    public var name: String
    public var original: String
    public var reproduced: String?
    public var identical: Bool
    public var changes: [Change]
}

/// What `lake reproduce` found.
public struct Reproduction: Codable, Sendable, Equatable {
    public var original: String
    public var run: RunRecord
    public var outputs: [OutputComparison]
    public var identical: Bool { run.status == "succeeded" && outputs.allSatisfy(\.identical) }
}

/// Re-executes the run that made a snapshot with the same inputs, command, params, code and
/// declared environment, in a fresh work directory, and compares the outputs.
public struct Reproducer {
    public let lake: Lake

    public init(lake: Lake) { self.lake = lake }

    /// The run to reproduce: a run id, or the run that produced the snapshot `target` names (a
    /// cached run stands for the run it reused). Returns notes to show before running, such
    /// as a code version that differs from the recorded one.
    public func prepare(_ target: String) throws -> (run: RunRecord, notes: [String]) {
        var run: RunRecord
        if target.hasPrefix("run-") {
            guard let found = try lake.catalog.run(target) else { throw LakeError.runNotFound(target) }
            run = found
        } else {
            let (snapshot, _) = try lake.resolve(target)
            guard let found = try lake.catalog.producingRun(of: snapshot) else { throw ReproduceError.notMadeByARun(target) }
            run = found
        }
        while run.status == "cached", let original = run.reuses, let found = try lake.catalog.run(original) { run = found }
        guard run.status == "succeeded" else { throw ReproduceError.notSucceeded(run.id, status: run.status) }
        var notes = [String]()
        if let recorded = run.codeVersion, let now = Lake.codeVersion(FileManager.default.currentDirectoryPath), recorded != now {
            notes.append("the code version differs: the run was made at \(recorded), this tree is at \(now); the run's own recorded code files are used")
        }
        for (name, value) in Lake.recordedEnvironment(run.environment.map { Array($0.keys) } ?? []) where run.environment?[name] != value {
            notes.append("environment \(name) differs from the run's (\(run.environment?[name] ?? "?") -> \(value))")
        }
        return (run, notes)
    }

    /// Runs it again; outputs become versions of `reproduce/<dataset>`, so the original
    /// datasets' histories stay as they were.
    public func reproduce(_ original: RunRecord, streams: ExecStreams = .discard) throws -> Reproduction {
        let codeRoot = lake.directory + "/tmp/" + "reproduce-\(getpid())-\(original.id)"
        try? FileManager.default.removeItem(atPath: codeRoot)
        defer { try? FileManager.default.removeItem(atPath: codeRoot) }
        for (path, object) in original.code ?? [:] {
            let bytes = try lake.store.bytes(of: ObjectID(parsing: object))
            let file = codeRoot + "/" + path
            try FileManager.default.createDirectory(atPath: FileIO.parent(file), withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        }
        let plan = ExecPlan(command: original.argv, inputs: original.inputs.map { .init(name: $0.name, target: $0.snapshot) },
                            outputs: original.outputs.map { .init(name: $0.name, dataset: "reproduce/" + $0.dataset, kind: $0.kind) },
                            params: original.params ?? "{}", environment: original.environment.map { Array($0.keys).sorted() } ?? [],
                            stage: original.stage, message: "reproduces \(original.id)",
                            code: (original.code ?? [:]).keys.sorted(), codeRoot: codeRoot)
        let result = try lake.exec(plan, reproduces: original.id, streams: streams)
        var comparisons = [OutputComparison]()
        for o in original.outputs {
            let again = result.run.outputs.first { $0.name == o.name }?.snapshot
            var comparison = OutputComparison(name: o.name, original: o.snapshot, reproduced: again, identical: again == o.snapshot, changes: [])
            if let again, again != o.snapshot {
                comparison.changes = try Self.changes(lake.manifest(SnapshotID(parsing: o.snapshot)), lake.manifest(SnapshotID(parsing: again)))
            }
            comparisons.append(comparison)
        }
        return Reproduction(original: original.id, run: result.run, outputs: comparisons)
    }

    /// Files added, removed and changed between two manifests.
    static func changes(_ before: Manifest, _ after: Manifest) -> [OutputComparison.Change] {
        let old = Dictionary(before.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var out = [OutputComparison.Change]()
        for path in Set(old.keys).union(new.keys).sorted(by: String.utf8Precedes) {
            switch (old[path], new[path]) {
            case (nil, let n?): out.append(.init(change: "added", path: path, sizeBefore: nil, sizeAfter: n.size))
            case (let o?, nil): out.append(.init(change: "removed", path: path, sizeBefore: o.size, sizeAfter: nil))
            case (let o?, let n?) where o.object != n.object || o.mode != n.mode:
                out.append(.init(change: "changed", path: path, sizeBefore: o.size, sizeAfter: n.size))
            default: break
            }
        }
        return out
    }
}

/// Errors of `lake reproduce`.
public enum ReproduceError: LakeFailure {
    case notMadeByARun(String)
    case notSucceeded(String, status: String)

    public var category: ErrorCategory { .notFound }

    public var description: String {
        switch self {
        case .notMadeByARun(let target):
            return "'\(target)' was not made by a run (it was committed or imported); only run outputs can be reproduced"
        case .notSucceeded(let id, let status):
            return "run \(id) \(status); only a succeeded run can be reproduced (a failed one can be resumed with 'lake exec --resume \(id)')"
        }
    }
}
