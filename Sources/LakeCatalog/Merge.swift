import Foundation
import GRDB
import LakeCore
import LakeStore

/// What a snapshot's catalog rows hold besides its manifest: the profiles of its tabular files
/// and its metrics. A remote keeps it beside the manifest, so a lake that pulls the snapshot
/// without its objects (`lake clone --metadata-only`) still knows its rows and columns.
public struct SnapshotProfile: Codable, Equatable, Sendable {
    public struct Metric: Codable, Equatable, Sendable {
        public var path: String
        public var key: String
        public var value: Double
    }

    public var tables: [String: TableProfile]
    public var metrics: [Metric]

    public func content(with manifest: Manifest) -> SnapshotContent {
        SnapshotContent(manifest: manifest, tables: tables, metrics: metrics.map { Metrics.Value(path: $0.path, key: $0.key, value: $0.value) })
    }
}

extension JournalRecord {
    /// Names the fact a record states, so that the same fact reached by two ways (made here
    /// and pushed, then pulled back) is recognised: a version by dataset, number and snapshot,
    /// a run by id, an archive by dataset, version and archive hash, a ref move by ref, time
    /// and target.
    public var identity: String {
        switch self {
        case .version(let v): return "version \(v.dataset)@\(v.version) \(v.snapshot)"
        case .run(let r): return "run \(r.id)"
        case .archive(let a): return "archive \(a.dataset)@\(a.version) \(a.archiveSha256)"
        case .refMove(let m): return "ref \(m.ref) \(m.at) \(m.to)"
        }
    }

    /// The snapshots this record makes versions of.
    public var versions: [(dataset: String, version: Int, snapshot: String)] {
        switch self {
        case .version(let v): return [(v.dataset, v.version, v.snapshot)]
        case .run(let r): return r.outputs.filter(\.created).map { ($0.dataset, $0.version, $0.snapshot) }
        case .archive, .refMove: return []
        }
    }
}

extension Catalog {
    /// Every record of the journal, in order.
    public func journalRecords() throws -> [JournalRecord] {
        try journal.records(from: 0).map(\.record)
    }

    /// The profiles and metrics the catalog holds for a snapshot.
    public func profile(of snapshot: SnapshotID) throws -> SnapshotProfile {
        try read { db in
            var tables = [String: TableProfile]()
            for row in try Row.fetchAll(db, sql: """
                SELECT f.path, f.rows, f.columns, f.parse_errors FROM files f JOIN snapshots s ON s.seq = f.snapshot
                WHERE s.id = ? AND f.rows IS NOT NULL
                """, arguments: [snapshot.description]) {
                let columns = try JSONDecoder().decode([String].self, from: Data((row["columns"] as String? ?? "[]").utf8))
                tables[row["path"]] = TableProfile(rows: row["rows"], columns: columns, parseErrors: row["parse_errors"] ?? 0)
            }
            let metrics = try Row.fetchAll(db, sql: """
                SELECT m.path, m.key, m.value FROM metric_values m JOIN snapshots s ON s.seq = m.snapshot WHERE s.id = ?
                """, arguments: [snapshot.description]).map { SnapshotProfile.Metric(path: $0["path"], key: $0["key"], value: $0["value"]) }
            return SnapshotProfile(tables: tables, metrics: metrics)
        }
    }

    /// Adds records another lake made (pulled from a remote) in one transaction: each is
    /// appended to this lake's journal and applied, unless this lake holds the same fact
    /// already (`identity`). A record that contradicts this lake (another snapshot as the same
    /// version of a dataset, a ref move from a target the ref is not at) adds nothing at all:
    /// `CatalogError.mergeConflicts` names every such record. `contents` holds the manifests
    /// and profiles of new snapshots, by snapshot id. Returns the records added.
    public func merge(_ records: [JournalRecord], contents: [String: SnapshotContent]) throws -> [JournalRecord] {
        try write { db in
            var added = [JournalRecord]()
            var conflicts = [String]()
            for record in records {
                var known = false
                for v in record.versions {
                    switch try Self.snapshot(db, dataset: v.dataset, version: v.version) {
                    case .none: break
                    case v.snapshot?: known = true
                    case let other?:
                        conflicts.append("\(v.dataset)@\(v.version) is \(other) here and \(v.snapshot) on the remote")
                    }
                }
                switch record {
                case .version:
                    if known { continue }
                case .run(let r):
                    if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [r.id]) == true { continue }
                case .archive(let a):
                    if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM archives WHERE dataset = ? AND version = ? AND archive_sha256 = ?)",
                                         arguments: [a.dataset, a.version, a.archiveSha256]) == true { continue }
                case .refMove(let m):
                    if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ref_log WHERE ref = ? AND at = ? AND to_id = ?)",
                                         arguments: [m.ref, m.at, m.to]) == true { continue }
                    let current = try String.fetchOne(db, sql: "SELECT snapshot_id FROM refs WHERE name = ?", arguments: [m.ref])
                    if current != m.from {
                        conflicts.append("ref \(m.ref) moved here to \(current ?? "nothing") and on the remote from \(m.from ?? "nothing") to \(m.to) (by \(m.actor) at \(m.at))")
                        continue
                    }
                }
                guard conflicts.isEmpty else { continue }
                try journalAndApply(db, record, known: contents)
                added.append(record)
            }
            if !conflicts.isEmpty { throw CatalogError.mergeConflicts(conflicts) }
            return added
        }
    }

    static func snapshot(_ db: Database, dataset: String, version: Int) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: """
            SELECT v.snapshot_id FROM versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name = ? AND v.version = ?
            """), arguments: [dataset, version])
    }
}
