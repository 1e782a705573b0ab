import Foundation
import GRDB
import LakeCore
import LakeStore

/// Several catalog changes in one transaction, with their journal records synced once before
/// it commits: all of them are recorded, or none. What a single `recordCommit`, `recordRun` or
/// `moveRef` does is a batch of one.
///
/// ```swift
/// try catalog.batch { batch in
///     for tree in trees { _ = try batch.recordCommit(dataset: name, kind: .run, manifest: tree.manifest, ...) }
/// }
/// ```
public struct CatalogBatch {
    let catalog: Catalog
    let db: Database

    /// See `Catalog.recordCommit`.
    public func recordCommit(dataset: DatasetName, kind: Kind?, manifest: Manifest, tables: [String: TableProfile],
                             metrics: [Metrics.Value] = [], message: String?, sourcePath: String,
                             origin: VersionOrigin = .commit) throws -> CommitRecord {
        try catalog.recordCommit(db, dataset: dataset, kind: kind, manifest: manifest, tables: tables, metrics: metrics,
                                 message: message, sourcePath: sourcePath, origin: origin)
    }

    /// See `Catalog.recordRun`.
    public func recordRun(_ draft: RunRecord, outputs: [String: SnapshotContent]) throws -> RunRecord {
        try catalog.recordRun(db, draft, outputs: outputs)
    }

    /// See `Catalog.moveRef`.
    public func moveRef(_ name: RefName, to target: SnapshotID, expect: RefExpectation?, action: String,
                        actor: String, message: String?, gates: [GateResult]? = nil,
                        publish: ((JournalRecord.RefMoveEntry) throws -> Void)? = nil) throws -> RefMove? {
        try catalog.moveRef(db, name, to: target.description, expect: expect, action: action, actor: actor, message: message,
                            gates: gates, publish: publish)
    }
}

extension Catalog {
    /// Runs `body` in one write transaction; a thrown error records nothing of it.
    public func batch<T>(_ body: (CatalogBatch) throws -> T) throws -> T {
        try write { db in try body(CatalogBatch(catalog: self, db: db)) }
    }
}
