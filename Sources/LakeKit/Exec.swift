import Foundation
import LakeCatalog
import LakeCore
import LakeStore

/// What to run as one run: `lake exec`, and each pipeline stage.
public struct ExecPlan: Codable, Sendable, Equatable {
    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        public var target: String
        public init(name: String, target: String) { (self.name, self.target) = (name, target) }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var name: String
        public var dataset: String
        public var kind: String
        public init(name: String, dataset: String, kind: String) { (self.name, self.dataset, self.kind) = (name, dataset, kind) }
    }

    public var command: [String]
    public var inputs: [Input]
    public var outputs: [Output]
    /// JSON text handed to the command as the file `$LAKE_PARAMS`.
    public var params: String
    /// Environment names whose values are recorded (secrets redacted) and keyed.
    public var environment: [String]
    public var stage: String?
    public var message: String?
    /// Code files (relative paths under `codeRoot`) copied into the work directory, stored as
    /// objects and recorded with their hashes, so the run uses and keeps exactly that code.
    public var code: [String]
    public var codeRoot: String?

    public init(command: [String], inputs: [Input] = [], outputs: [Output] = [], params: String = "{}",
                environment: [String] = [], stage: String? = nil, message: String? = nil, code: [String] = [], codeRoot: String? = nil) {
        (self.command, self.inputs, self.outputs, self.params) = (command, inputs, outputs, params)
        (self.environment, self.stage, self.message, self.code, self.codeRoot) = (environment, stage, message, code, codeRoot)
    }

    /// Input and output names become environment names (`LAKE_IN_<NAME>`): letters, digits, `_`.
    public func validate() throws {
        guard let first = command.first, !first.isEmpty else { throw LakeError.invalidPlan("no command to run; give it after '--'") }
        var seen = Set<String>()
        func allowed(_ c: Unicode.Scalar, first: Bool) -> Bool {
            c == "_" || ("A"..."Z").contains(c) || ("a"..."z").contains(c) || (!first && ("0"..."9").contains(c))
        }
        for name in inputs.map(\.name) + outputs.map(\.name) {
            guard !name.isEmpty, name.unicodeScalars.enumerated().allSatisfy({ allowed($1, first: $0 == 0) }) else {
                throw LakeError.invalidPlan("'\(name)' cannot name an input or output: use letters, digits and '_', not starting with a digit")
            }
            guard seen.insert(name).inserted else { throw LakeError.invalidPlan("the name '\(name)' is used twice among inputs and outputs") }
        }
        var datasets = Set<String>()
        for o in outputs {
            _ = try DatasetName(o.dataset)
            _ = try Kind(parsing: o.kind)
            guard datasets.insert(o.dataset).inserted else {
                throw LakeError.invalidPlan("two outputs write dataset '\(o.dataset)'; give each output its own dataset")
            }
        }
        for path in code where path.hasPrefix("/") || path.split(separator: "/").contains("..") || path.isEmpty {
            throw LakeError.invalidPlan("code file '\(path)' must be a relative path inside the pipeline's directory, without '..'")
        }
        for e in environment where e.isEmpty || e.contains("=") {
            throw LakeError.invalidPlan("'\(e)' is not an environment variable name")
        }
    }
}

/// Where a run's output goes while it runs: the CLI streams it to the terminal.
public struct ExecStreams: Sendable {
    public var stdout: @Sendable (UnsafeRawBufferPointer) -> Void
    public var stderr: @Sendable (UnsafeRawBufferPointer) -> Void

    public init(stdout: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, stderr: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        (self.stdout, self.stderr) = (stdout, stderr)
    }

    public static let discard = ExecStreams(stdout: { _ in }, stderr: { _ in })
}

/// What `lake exec` did.
public struct ExecResult: Sendable, Codable, Equatable {
    public var run: RunRecord
    /// The kept work directory of a failed run (`lake exec --resume` continues there).
    public var keptDirectory: String?
}

extension Lake {
    /// `.lake/runs/`: one directory per run while it runs, kept when it fails.
    public var runsDirectory: String { directory + "/runs" }

    /// Runs `plan` as one run: inputs materialized read-only, outputs as empty directories, the
    /// command in a fresh work directory; on success every output becomes a version with
    /// lineage to the inputs, on failure the run is recorded as failed and its directory kept.
    /// `resuming` continues a failed run in its kept directory instead of starting anew.
    /// Holds the gc lock shared for the whole run, so gc never drops what it reads or writes.
    public func exec(_ plan: ExecPlan, resuming: String? = nil, reproduces: String? = nil, runKey: String? = nil,
                     streams: ExecStreams = .discard) throws -> ExecResult {
        let result = try inFlight { try execInFlight(plan, resuming: resuming, reproduces: reproduces, runKey: runKey, streams: streams) }
        mergeSmallPacksIfMany()
        return result
    }

    private func execInFlight(_ plan: ExecPlan, resuming: String?, reproduces: String?, runKey: String?,
                              streams: ExecStreams) throws -> ExecResult {
        try plan.validate()
        // Whatever would refuse the outputs is asked before the command runs, not after.
        for o in plan.outputs {
            if let existing = try catalog.datasetKind(DatasetName(o.dataset)), existing.rawValue != o.kind {
                throw CatalogError.kindMismatch(dataset: o.dataset, existing: existing.rawValue, given: o.kind)
            }
        }
        let started = Date()
        let caller = FileManager.default.currentDirectoryPath
        let id = Self.newRunID(started)
        let dir = runsDirectory + "/" + id
        var attempt = 1
        var inputs = [RunRecord.Input]()
        if let resuming {
            guard let failed = try catalog.run(resuming), failed.status == "failed" else { throw LakeError.notResumable(resuming, reason: "no failed run has this id") }
            guard FileManager.default.fileExists(atPath: runsDirectory + "/" + resuming) else {
                throw LakeError.notResumable(resuming, reason: "its work directory \(runsDirectory)/\(resuming) is gone")
            }
            try FileManager.default.moveItem(atPath: runsDirectory + "/" + resuming, toPath: dir)
            attempt = failed.attempt + 1
            inputs = failed.inputs
        } else {
            let resolved = try plan.inputs.map { (name: $0.name, snapshot: try resolve($0.target).0) }
            do {
                try FileManager.default.createDirectory(atPath: dir + "/work", withIntermediateDirectories: true)
                // Linked objects are protected by their read-only mode, which root ignores: a
                // command run as root gets copies, so a stray write cannot damage the store.
                let mode: CheckoutMode = geteuid() == 0 ? .copy : .link
                for input in resolved {
                    let into = dir + "/in/" + input.name
                    // An archived input whose objects gc dropped is restored from its archive.
                    _ = try whenArchived(input.snapshot, target: input.snapshot.description, restore: true) {
                        return try Checkout.run(try manifest(input.snapshot), store: store, into: into, mode: mode)
                    }
                    try Self.makeReadOnly(into)
                    inputs.append(.init(name: input.name, snapshot: input.snapshot.description))
                }
                for output in plan.outputs {
                    try FileManager.default.createDirectory(atPath: dir + "/out/" + output.name, withIntermediateDirectories: true)
                }
                for path in plan.code {
                    let target = dir + "/work/" + path
                    try FileManager.default.createDirectory(atPath: FileIO.parent(target), withIntermediateDirectories: true)
                    try FileManager.default.copyItem(atPath: (plan.codeRoot ?? caller) + "/" + path, toPath: target)
                }
                try Data(plan.params.utf8).write(to: URL(fileURLWithPath: dir + "/params.json"))
                try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: dir + "/plan.json"))
            } catch {
                try? Self.removeTree(dir)
                throw error
            }
        }
        var environment = ProcessInfo.processInfo.environment
        for i in plan.inputs { environment["LAKE_IN_" + i.name] = dir + "/in/" + i.name }
        for o in plan.outputs { environment["LAKE_OUT_" + o.name] = dir + "/out/" + o.name }
        environment["LAKE_PARAMS"] = dir + "/params.json"
        environment["LAKE_RUN_ID"] = id
        environment["LAKE_DIR"] = directory
        var argv = plan.command
        if argv[0].contains("/"), !argv[0].hasPrefix("/") { argv[0] = caller + "/" + argv[0] }
        // The code is stored before the command runs, so the objects are the bytes that were
        // hashed, whatever the command does to its copies.
        try store.prepareForWriting()
        let batch = ObjectBatch(store: store)
        var code = [String: String]()
        do {
            for path in plan.code { code[path] = try batch.storeFile(dir + "/work/" + path).description }
        } catch {
            if resuming == nil { try? Self.removeTree(dir) }
            throw error
        }
        let exit: ChildExit
        do {
            exit = try ChildProcess.run(argv, cwd: dir + "/work", environment: environment,
                                        stdoutLog: dir + "/stdout.log", stderrLog: dir + "/stderr.log",
                                        stdout: streams.stdout, stderr: streams.stderr)
        } catch {
            // Never started: nothing ran, so nothing is recorded; a resumed run keeps its place.
            if let resuming { try? FileManager.default.moveItem(atPath: dir, toPath: runsDirectory + "/" + resuming) } else { try? Self.removeTree(dir) }
            throw error
        }
        let ended = Date()
        var run = RunRecord(id: id, status: exit.status == 0 ? "succeeded" : "failed", argv: plan.command, host: Actor.host,
                            actor: Actor.current, lakeVersion: LakeFormat.toolVersion, startedAt: Timestamp.string(started),
                            endedAt: Timestamp.string(ended), durationMs: Int64(ended.timeIntervalSince(started) * 1000))
        run.stage = plan.stage
        run.runKey = runKey
        run.cwd = caller
        run.params = plan.params
        run.environment = Self.recordedEnvironment(plan.environment)
        run.code = code.isEmpty ? nil : code
        run.codeVersion = Self.codeVersion(caller)
        run.exitCode = exit.status
        run.peakRssKb = exit.peakRssKb
        run.stdoutObject = try batch.storeFile(dir + "/stdout.log").description
        run.stderrObject = try batch.storeFile(dir + "/stderr.log").description
        run.attempt = attempt
        run.resumes = resuming
        run.reproduces = reproduces
        run.message = plan.message
        run.inputs = inputs
        var contents = [String: SnapshotContent]()
        var superseded = [String]()
        // What each ledger output's growth check went by, to check again under the writer lock
        // if another command recorded a version of that ledger meanwhile (as a commit does).
        var recheck = [() throws -> Void]()
        /// The command ran but its outputs cannot be kept (a link out of the tree, a ledger
        /// that shrank): a failed run, its directory kept to fix and resume.
        func refuseOutputs(_ failure: LakeFailure) {
            run.status = "failed"
            run.outputs = []
            contents = [:]
            superseded = []
            recheck = []
            run.message = [plan.message, "outputs refused: \(failure)"].compactMap { $0 }.joined(separator: "; ")
        }
        if exit.status == 0 {
            do {
                for o in plan.outputs {
                    let (dataset, kind) = (try DatasetName(o.dataset), try Kind(parsing: o.kind))
                    let ingest = try Snapshotter(store: store).snapshot(path: dir + "/out/" + o.name, statCache: nil, batch: batch)
                    let checked = try ledgerBase(dataset)
                    let grown = try checkLedgerGrowth(dataset, kind: kind, ingest.manifest, tables: ingest.tables)
                    recheck.append { try self.recheckLedgerGrowth(dataset, kind: kind, since: checked, ingest.manifest, tables: ingest.tables) }
                    superseded += try storeLedgerAppends(grown, batch: batch)
                    try batch.store(ingest.manifest.encoded())
                    contents[ingest.manifest.id.description] = SnapshotContent(manifest: ingest.manifest, tables: ingest.tables,
                                                                               metrics: try Metrics.values(of: ingest.manifest, in: store))
                    run.outputs.append(.init(name: o.name, dataset: o.dataset, kind: o.kind, snapshot: ingest.manifest.id.description))
                }
            } catch let failure as LakeFailure {
                refuseOutputs(failure)
            }
        }
        try batch.finish()
        try store.syncWritten()
        for path in superseded { unlink(path) }
        let recorded = try writerLock.withLock {
            do {
                for check in recheck { try check() }
            } catch let failure as LakeFailure {
                refuseOutputs(failure)
            }
            return try catalog.recordRun(run, outputs: contents)
        }
        if recorded.status == "succeeded" {
            try? Self.removeTree(dir)
            return ExecResult(run: recorded, keptDirectory: nil)
        }
        return ExecResult(run: recorded, keptDirectory: dir)
    }

    /// Records a run made elsewhere (a reused, cached stage) under the writer lock.
    public func recordRun(_ run: RunRecord) throws -> RunRecord {
        try writerLock.withLock { try catalog.recordRun(run, outputs: [:]) }
    }

    /// The plan a failed run was started with, from its kept directory.
    public func keptPlan(of run: String) throws -> ExecPlan {
        let path = runsDirectory + "/" + run + "/plan.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LakeError.notResumable(run, reason: "its work directory \(runsDirectory)/\(run) is gone")
        }
        return try JSONDecoder().decode(ExecPlan.self, from: data)
    }

    /// `run-` and 16 hex digits: milliseconds since 1970, then random bits, so ids sort by time.
    public static func newRunID(_ date: Date) -> String {
        let ms = UInt64(date.timeIntervalSince1970 * 1000)
        return "run-" + ms.zeroPadded(11, radix: 16) + UInt32.random(in: 0 ..< 0x100000).zeroPadded(5, radix: 16)
    }

    /// Values of the declared names; names that look like secrets are recorded as `<redacted>`
    /// and their values never reach the catalog (invariant 6).
    public static func recordedEnvironment(_ names: [String]) -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var out = [String: String]()
        for name in names {
            out[name] = isSecret(name) ? "<redacted>" : (env[name] ?? "<unset>")
        }
        return out
    }

    public static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "PRIVATE"].contains { upper.contains($0) }
    }

    /// The caller's git commit, with `+dirty` when tracked files changed; nil outside a repository.
    public static func codeVersion(_ dir: String) -> String? {
        guard let head = ChildProcess.capture(["git", "rev-parse", "HEAD"], cwd: dir)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !head.isEmpty else { return nil }
        let status = ChildProcess.capture(["git", "status", "--porcelain", "--untracked-files=no"], cwd: dir) ?? ""
        return status.isEmpty ? head : head + "+dirty"
    }

    static func makeReadOnly(_ path: String) throws {
        guard let items = FileManager.default.enumerator(atPath: path) else { return }
        for case let item as String in items {
            var st = stat()
            let full = path + "/" + item
            if lstat(full, &st) == 0, st.st_mode & S_IFMT != S_IFLNK { chmod(full, st.st_mode & ~0o222) }
        }
        chmod(path, 0o555)
    }

    static func removeTree(_ path: String) throws {
        if let items = FileManager.default.enumerator(atPath: path) {
            for case let item as String in items {
                var st = stat()
                let full = path + "/" + item
                if lstat(full, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { chmod(full, 0o755) }
            }
        }
        chmod(path, 0o755)
        try FileManager.default.removeItem(atPath: path)
    }
}
