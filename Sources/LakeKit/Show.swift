import LakeCatalog
import LakeCore
import LakeStore

/// A snapshot as `lake show` presents it: its files and where it is used.
public struct SnapshotDetails: Sendable, Codable, Equatable {
    public var target: ResolvedTarget
    public var snapshot: String
    public var files: [FileRecord]
    public var bytes: Int64
    public var rows: Int64?
    /// The versions that hold this snapshot.
    public var versions: [VersionRecord]
    /// The refs that point at it.
    public var refs: [String]
    /// The run that made it, when a run did.
    public var producedBy: String?
    /// Numeric fields of its metrics, manifest and report JSON files.
    public var metrics: [MetricRecord]
}

extension Lake {
    /// The lineage around the snapshot `target` names.
    public func lineage(_ target: String, direction: Lineage.Direction, depth: Int) throws -> Lineage {
        try catalog.lineage(of: resolve(target).0, direction: direction, depth: depth)
    }

    public func show(_ target: String) throws -> SnapshotDetails {
        let (id, resolved) = try resolve(target)
        let files = try catalog.files(of: id)
        let withRows = files.compactMap(\.rows)
        return SnapshotDetails(target: resolved, snapshot: id.description, files: files,
                               bytes: files.reduce(0) { $0 + $1.size },
                               rows: withRows.isEmpty ? nil : withRows.reduce(0, +),
                               versions: try catalog.versions(holding: id),
                               refs: try catalog.refs().filter { $0.snapshot == id.description }.map(\.name),
                               producedBy: try catalog.producingRun(of: id)?.id,
                               metrics: try catalog.metrics(of: id))
    }

    /// Streams the bytes of `TARGET:PATH`, verified against the object's name before the first
    /// byte is handed on. A symbolic link yields its target text.
    public func cat(_ spec: String, restore: Bool = false, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let (target, path) = try Self.splitCatSpec(spec)
        if target.hasPrefix("run-") { return try catRunLog(target, path, body) }
        let (id, _) = try resolve(target)
        let manifest = try manifest(id)
        guard let entry = manifest.entries.first(where: { $0.path == path }) else {
            if manifest.entries.contains(where: { $0.path.hasPrefix(path + "/") }) {
                throw LakeError.isADirectory(path: path, snapshot: id.short)
            }
            throw LakeError.pathNotInSnapshot(path: path, snapshot: id.short)
        }
        try whenArchived(id, target: target, restore: restore) { try store.readVerifiedFirst(entry.object, body) }
    }

    /// `RUN:stdout` and `RUN:stderr`: a run's kept output.
    private func catRunLog(_ id: String, _ stream: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let run = try catalog.run(id) else { throw LakeError.runNotFound(id) }
        let object: String?
        switch stream {
        case "stdout": object = run.stdoutObject
        case "stderr": object = run.stderrObject
        default: throw LakeError.invalidTarget("\(id):\(stream)", reason: "a run has 'stdout' and 'stderr': write \(id):stdout")
        }
        guard let object else { throw LakeError.pathNotInSnapshot(path: stream, snapshot: id) }
        try store.readVerifiedFirst(ObjectID(parsing: object), body)
    }

    static func splitCatSpec(_ spec: String) throws -> (String, String) {
        let (target, path) = splitTargetPath(spec)
        guard let path else {
            throw LakeError.invalidTarget(spec, reason: "'lake cat' takes TARGET:PATH, e.g. runs/passX@2:ok.jsonl")
        }
        guard !path.isEmpty else { throw LakeError.invalidTarget(spec, reason: "the PATH after ':' is empty") }
        return (target, path)
    }

    /// Splits `TARGET:PATH` (or `TARGET:GLOB`) at the first `:` after any `sha256:`, `ref:` or
    /// `dataset:` prefix; the path is nil when there is no such `:`.
    public static func splitTargetPath(_ spec: String) -> (target: String, path: String?) {
        var prefixLength = 0
        for p in [ObjectID.scheme, "ref:", "dataset:"] where spec.hasPrefix(p) { prefixLength = p.count }
        let rest = spec.dropFirst(prefixLength)
        guard let colon = rest.firstIndex(of: ":") else { return (spec, nil) }
        return (String(spec[..<colon]), String(rest[rest.index(after: colon)...]))
    }
}
