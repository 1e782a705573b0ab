import LakeCatalog
import LakeCore
import LakeStore

/// A TARGET as written on the command line, and the snapshot it names (docs/cli.md):
/// `sha256:<hex>` or a unique hex prefix of 8+ digits; `DATASET@N`; `DATASET@latest`; `REF`;
/// `REF@{N}` (the ref's target N moves ago). A bare name is a ref when one exists, else the
/// dataset's latest version; `ref:` and `dataset:` force either.
public struct ResolvedTarget: Sendable, Equatable, Codable {
    public var text: String
    public var snapshot: String
    /// How the text was read, e.g. `ref field/_current/MERGED` or `dataset runs/passX version 3`.
    public var via: String
}

extension Lake {
    public func resolve(_ text: String) throws -> (SnapshotID, ResolvedTarget) {
        let (id, via) = try resolveWithReason(text)
        return (id, ResolvedTarget(text: text, snapshot: id.description, via: via))
    }

    private func resolveWithReason(_ text: String) throws -> (SnapshotID, String) {
        switch try TargetSyntax(text) {
        case .object(let id):
            guard try catalog.hasSnapshot(id) else { throw LakeError.targetNotFound(text) }
            return (id, "snapshot")
        case .prefix(let hex):
            let found = try catalog.snapshots(withPrefix: hex)
            guard !found.isEmpty else { throw LakeError.targetNotFound(text) }
            guard found.count == 1 else { throw LakeError.ambiguousTarget(text, candidates: found.map(\.description)) }
            return (found[0], "snapshot prefix \(hex)")
        case .ref(let name, let movesAgo):
            let ref = try RefName(name)
            if let movesAgo { return (try catalog.refTarget(ref, movesAgo: movesAgo), "ref \(name), \(movesAgo) moves ago") }
            guard let record = try catalog.ref(ref) else { throw CatalogError.refNotFound(name) }
            return (try SnapshotID(parsing: record.snapshot), "ref \(name)")
        case .dataset(let name, let number):
            let version = try catalog.version(of: DatasetName(name), number: number)
            return (try SnapshotID(parsing: version.snapshot), "dataset \(name) version \(version.version)")
        case .bare(let name):
            if let ref = try? RefName(name), let record = try catalog.ref(ref) {
                return (try SnapshotID(parsing: record.snapshot), "ref \(name)")
            }
            if let dataset = try? DatasetName(name), try catalog.datasetKind(dataset) != nil {
                let version = try catalog.version(of: dataset, number: nil)
                return (try SnapshotID(parsing: version.snapshot), "dataset \(name) version \(version.version) (latest)")
            }
            if name.utf8.count >= 8, ObjectID.isHexDigits(name) { return try resolveWithReason("sha256:" + name) }
            _ = try RefName(name)  // a malformed name is a usage error, not "not found"
            throw LakeError.targetNotFound(text)
        }
    }
}

/// The syntax of a TARGET, before the catalog is asked.
enum TargetSyntax {
    case object(SnapshotID)
    case prefix(String)
    case ref(String, movesAgo: Int?)
    case dataset(String, version: Int?)
    case bare(String)

    init(_ text: String) throws {
        if text.hasPrefix(ObjectID.scheme) {
            let hex = String(text.dropFirst(ObjectID.scheme.count))
            guard ObjectID.isHexDigits(hex), hex.count >= 8, hex.count <= 64 else {
                throw LakeError.invalidTarget(text, reason: "after sha256: come 8 to 64 lowercase hex digits")
            }
            self = hex.count == 64 ? .object(try SnapshotID(parsing: text)) : .prefix(hex)
            return
        }
        if text.hasPrefix("ref:") {
            let rest = String(text.dropFirst(4))
            let (name, n) = try Self.splitMoves(rest, text: text)
            self = .ref(name, movesAgo: n)
            return
        }
        if text.hasPrefix("dataset:") {
            let rest = String(text.dropFirst(8))
            let (name, v) = try Self.splitVersion(rest, text: text)
            self = .dataset(name, version: v)
            return
        }
        if text.hasSuffix("}"), text.contains("@{") {
            let (name, n) = try Self.splitMoves(text, text: text)
            self = .ref(name, movesAgo: n)
        } else if text.contains("@") {
            let (name, v) = try Self.splitVersion(text, text: text)
            self = .dataset(name, version: v)
        } else {
            self = .bare(text)
        }
    }

    private static func splitMoves(_ s: String, text: String) throws -> (String, Int?) {
        guard let at = s.range(of: "@{") else { return (s, nil) }
        let digits = s[at.upperBound...].dropLast()
        guard s.hasSuffix("}"), let n = Int(digits), n >= 0 else {
            throw LakeError.invalidTarget(text, reason: "REF@{N} takes a whole number N >= 0")
        }
        return (String(s[..<at.lowerBound]), n)
    }

    private static func splitVersion(_ s: String, text: String) throws -> (String, Int?) {
        guard let at = s.lastIndex(of: "@") else { return (s, nil) }
        let tail = s[s.index(after: at)...]
        let name = String(s[..<at])
        if tail == "latest" { return (name, nil) }
        guard let v = Int(tail), v >= 1 else {
            throw LakeError.invalidTarget(text, reason: "DATASET@N takes a version number >= 1 or 'latest'")
        }
        return (name, v)
    }
}
