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

    /// The archives holding a snapshot, newest first.
    public func archives(of snapshot: SnapshotID) throws -> [ArchiveRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM archives WHERE snapshot_id = ? ORDER BY archived_at DESC", arguments: [snapshot.description]).map {
                ArchiveRecord(archive: $0["path"], archiveSha256: $0["archive_sha256"], dataset: $0["dataset"], version: $0["version"],
                              snapshot: $0["snapshot_id"], originalName: $0["original_name"], files: $0["files"], bytes: $0["bytes"],
                              rows: $0["rows"], createdAt: $0["created_at"], archivedAt: $0["archived_at"])
            }
        }
    }
}
