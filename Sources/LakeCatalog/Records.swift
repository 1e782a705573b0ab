import LakeCore
import LakeStore

/// A dataset with its latest version, as `lake ls` shows it.
public struct DatasetSummary: Sendable, Equatable, Codable {
    public var name: String
    public var kind: String
    public var versions: Int
    public var latestVersion: Int?
    public var latestSnapshot: String?
    public var latestBytes: Int64?
    public var createdAt: String
}

/// Snapshot S became version N of dataset D.
public struct VersionRecord: Sendable, Equatable, Codable {
    public var dataset: String
    public var kind: String
    public var version: Int
    public var snapshot: String
    public var createdAt: String
    public var message: String?
    public var source: String
    public var sourcePath: String?
    public var files: Int
    public var bytes: Int64
    public var rows: Int64?
    /// The version has an archive; gc may drop its objects unless something live shares them.
    public var archived: Bool
}

/// One file of a snapshot as the catalog lists it.
public struct FileRecord: Sendable, Equatable, Codable {
    public var path: String
    public var mode: UInt32
    public var size: Int64
    public var object: String
    public var rows: Int64?
    /// For a tabular file: its column names and how many records did not parse.
    public var columns: [String]?
    public var parseErrors: Int64?
}

/// One numeric field of a snapshot's metrics file.
public struct MetricRecord: Sendable, Equatable, Codable {
    public var path: String
    public var key: String
    public var value: Double
}

/// Where a ref points.
public struct RefRecord: Sendable, Equatable, Codable {
    public var name: String
    public var snapshot: String
    public var updatedAt: String
}

/// One move of a ref.
public struct RefMove: Sendable, Equatable, Codable {
    public var ref: String
    /// 1 for the ref's first move.
    public var move: Int
    public var from: String?
    public var to: String
    public var action: String
    public var actor: String
    public var at: String
    public var message: String?
    /// The gates that held for this move.
    public var gates: [GateResult]?
}

/// A gate that held: its SQL and the value it returned.
public struct GateResult: Codable, Sendable, Equatable {
    public var gate: String
    public var value: String

    public init(gate: String, value: String) { (self.gate, self.value) = (gate, value) }
}

/// What a ref was expected to point at before a move (compare-and-swap).
public enum RefExpectation: Sendable, Equatable {
    /// The ref must not exist yet.
    case absent
    case at(SnapshotID)
}

/// What a commit recorded.
public struct CommitRecord: Sendable, Equatable, Codable {
    public var dataset: String
    public var kind: String
    /// The new version, or the latest one when the content equalled it.
    public var version: Int
    public var snapshot: String
    /// False when the content equalled the dataset's latest version: no version was made.
    public var created: Bool
    public var files: Int
    public var bytes: Int64
}

/// A snapshot's manifest with the profiles of its tabular files, as a commit or a run has
/// them at hand when it records the snapshot.
public struct SnapshotContent: Sendable {
    public var manifest: Manifest
    public var tables: [String: TableProfile]
    public var metrics: [Metrics.Value]

    public init(manifest: Manifest, tables: [String: TableProfile], metrics: [Metrics.Value]) {
        self.manifest = manifest
        self.tables = tables
        self.metrics = metrics
    }

    /// Reads what a snapshot's record needs from the store: its manifest, the profiles of its
    /// tabular files and its metrics (applying a journal record after a crash, rebuilding).
    public static func read(_ id: SnapshotID, from store: ObjectStore) throws -> SnapshotContent {
        let manifest = try Manifest(decoding: store.bytes(of: id.object))
        return SnapshotContent(manifest: manifest, tables: try TableProfiler.profiles(of: manifest, in: store),
                               metrics: try Metrics.values(of: manifest, in: store))
    }
}

/// Where a new version comes from: a commit of a tree now, or an import of a tree an earlier
/// job made (dated by its name, and not made twice).
public struct VersionOrigin: Sendable, Equatable {
    /// `commit` or `import` (`versions.source`).
    public var source: String
    /// The version's time; nil for now.
    public var at: String?
    /// Content that any version of the dataset already holds makes no new version (an import
    /// run twice), not only content equal to the latest.
    public var matchAnyVersion: Bool

    public static let commit = VersionOrigin(source: "commit", at: nil, matchAnyVersion: false)

    public static func imported(at: String?) -> VersionOrigin {
        VersionOrigin(source: "import", at: at, matchAnyVersion: true)
    }
}
