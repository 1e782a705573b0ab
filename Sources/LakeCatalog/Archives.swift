import Foundation
import GRDB
import LakeCore

/// One archived snapshot: a line of `archives/index.jsonl`, a row of the `archives` table and a
/// journal record, all with these fields.
public struct ArchiveRecord: Codable, Equatable, Sendable {
    /// Relative to the lake directory.
    public var archive: String
    public var archiveSha256: String
    public var dataset: String
    public var version: Int
    public var snapshot: String
    public var originalName: String
    /// The sha256 of the snapshot's manifest in hex (the snapshot id without `sha256:`), for
    /// readers of the index who do not know Lake's ids.
    public var manifestSha256: String
    public var files: Int
    public var bytes: Int64
    public var rows: Int64?
    public var createdAt: String
    public var archivedAt: String

    public init(archive: String, archiveSha256: String, dataset: String, version: Int, snapshot: String, originalName: String,
                files: Int, bytes: Int64, rows: Int64?, createdAt: String, archivedAt: String) {
        (self.archive, self.archiveSha256, self.dataset, self.version, self.snapshot) = (archive, archiveSha256, dataset, version, snapshot)
        (self.originalName, self.files, self.bytes, self.rows, self.createdAt, self.archivedAt) = (originalName, files, bytes, rows, createdAt, archivedAt)
        manifestSha256 = String(snapshot.dropFirst(ObjectID.scheme.count))
    }
}

extension Catalog {
    /// Records a verified archive in one journaled transaction.
    public func recordArchive(_ record: ArchiveRecord) throws {
        try write { db in try journalAndApply(db, .archive(record)) }
    }

    func insertArchive(_ db: Database, _ a: ArchiveRecord) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO archives (path, archive_sha256, snapshot_id, dataset, version, original_name, files, bytes, rows, created_at, archived_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [a.archive, a.archiveSha256, a.snapshot, a.dataset, a.version, a.originalName, a.files, a.bytes, a.rows,
                             a.createdAt, a.archivedAt])
    }

    /// The archives holding a snapshot (all archives when nil), newest first.
    public func archives(of snapshot: SnapshotID?) throws -> [ArchiveRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM archives WHERE ?1 IS NULL OR snapshot_id = ?1 ORDER BY archived_at DESC",
                             arguments: [snapshot?.description]).map {
                ArchiveRecord(archive: $0["path"], archiveSha256: $0["archive_sha256"], dataset: $0["dataset"], version: $0["version"],
                              snapshot: $0["snapshot_id"], originalName: $0["original_name"], files: $0["files"], bytes: $0["bytes"],
                              rows: $0["rows"], createdAt: $0["created_at"], archivedAt: $0["archived_at"])
            }
        }
    }
}

extension Catalog {
    /// Every version with its snapshot's size and whether it is archived, plus what retention
    /// weighs: ref targets, one step of lineage and when runs last read each snapshot.
    public func retentionFacts() throws -> (versions: [(dataset: String, version: Int, snapshot: String, createdAt: String, bytes: Int64, archived: Bool)],
                                            refTargets: [String: [String]], madeFrom: [String: [String]], lastUsedByRun: [String: String]) {
        try read { db in
            let versions = try Row.fetchAll(db, sql: """
                SELECT d.name, v.version, v.snapshot_id, v.created_at, s.bytes,
                       EXISTS (SELECT 1 FROM archives a WHERE a.dataset = d.name AND a.version = v.version) AS archived
                FROM versions v JOIN datasets d ON d.id = v.dataset_id JOIN snapshots s ON s.id = v.snapshot_id
                """).map { (dataset: $0[0] as String, version: $0[1] as Int, snapshot: $0[2] as String, createdAt: $0[3] as String,
                            bytes: $0[4] as Int64, archived: $0[5] as Bool) }
            var refs = [String: [String]]()
            for r in try Row.fetchAll(db, sql: "SELECT snapshot_id, name FROM refs") { refs[r[0], default: []].append(r[1]) }
            var madeFrom = [String: [String]]()
            for r in try Row.fetchAll(db, sql: """
                SELECT DISTINCT o.snapshot_id, i.snapshot_id FROM run_outputs o
                JOIN runs r ON r.id = o.run_id AND r.status = 'succeeded' JOIN run_inputs i ON i.run_id = o.run_id
                """) { madeFrom[r[0], default: []].append(r[1]) }
            var used = [String: String]()
            for r in try Row.fetchAll(db, sql: "SELECT i.snapshot_id, max(r.started_at) FROM run_inputs i JOIN runs r ON r.id = i.run_id GROUP BY i.snapshot_id") {
                used[r[0]] = r[1]
            }
            return (versions, refs, madeFrom, used)
        }
    }

    /// Bytes of the objects that only the `leaving` snapshots use (what dropping them frees).
    public func bytesOnlyIn(_ leaving: [String], notIn staying: [String]) throws -> Int64 {
        try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT coalesce(sum(size), 0) FROM (
                    SELECT DISTINCT object_id, size FROM snapshot_files WHERE snapshot_id IN (SELECT value FROM json_each(?1))
                    AND object_id NOT IN (SELECT object_id FROM snapshot_files WHERE snapshot_id IN (SELECT value FROM json_each(?2))))
                """, arguments: [String(decoding: try JSONEncoder.sorted.encode(leaving), as: UTF8.self),
                                 String(decoding: try JSONEncoder.sorted.encode(staying), as: UTF8.self)]) ?? 0
        }
    }
}

extension Catalog {
    /// Snapshots gc must keep whole: ref targets, both ends of ref moves since `since`, every
    /// version that is not archived (a snapshot held by an archived and a live version stays),
    /// and the inputs of failed runs (they may be resumed). A version is archived by an archive
    /// of its own snapshot: a row for its dataset and number that names another snapshot (a
    /// remote's record, merged) archives nothing of it.
    public func liveSnapshots(movedSince since: String, keptRuns: [String]) throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT snapshot_id FROM refs
                UNION SELECT to_id FROM ref_log WHERE at >= ?1
                UNION SELECT from_id FROM ref_log WHERE at >= ?1 AND from_id IS NOT NULL
                UNION SELECT v.snapshot_id FROM versions v JOIN datasets d ON d.id = v.dataset_id
                      WHERE NOT EXISTS (SELECT 1 FROM archives a
                                        WHERE a.dataset = d.name AND a.version = v.version AND a.snapshot_id = v.snapshot_id)
                UNION SELECT snapshot_id FROM run_inputs WHERE run_id IN (SELECT value FROM json_each(?2))
                """, arguments: [since, String(decoding: try JSONEncoder.sorted.encode(keptRuns), as: UTF8.self)]))
        }
    }

    /// The objects of these snapshots' files.
    public func objects(of snapshots: Set<String>) throws -> Set<ObjectID> {
        try read { db in
            var out = Set<ObjectID>()
            let rows = try String.fetchCursor(db, sql: """
                SELECT DISTINCT object_id FROM snapshot_files WHERE snapshot_id IN (SELECT value FROM json_each(?))
                """, arguments: [String(decoding: try JSONEncoder.sorted.encode(snapshots.sorted()), as: UTF8.self)])
            while let id = try rows.next() { if let o = try? ObjectID(parsing: id) { out.insert(o) } }
            return out
        }
    }

    /// The objects that archived snapshots' files use, to say why gc drops one.
    public func objectsOfArchivedSnapshots() throws -> Set<ObjectID> {
        try objects(of: Set(try read { db in try String.fetchAll(db, sql: "SELECT snapshot_id FROM archives") }))
    }
}
