import Foundation
import LakeCatalog
import LakeCore
import LakeStore

/// What `lake commit` did.
public struct CommitResult: Sendable, Codable, Equatable {
    public var record: CommitRecord
    /// The ref moved by `--promote`, if it moved.
    public var promoted: RefMove?
    public var filesRead: Int
    public var filesFromCache: Int
    public var bytesRead: UInt64
    public var objectsWritten: Int
}

extension Lake {
    /// Snapshots a directory (or one file) as the next version of `dataset`.
    ///
    /// Write order (docs/format.md): objects → manifest object → one sync → one catalog
    /// transaction → ref move. A crash anywhere leaves at most unreferenced objects. Then, once
    /// there are many small packs, they are merged (`mergeSmallPacksIfMany`).
    /// Content equal to the latest version makes no new version (`record.created == false`).
    ///
    /// `progress` receives (files done, files in all) from worker threads while files are read.
    public func commit(path: String, dataset: DatasetName, kind: Kind? = nil, message: String? = nil,
                       promote ref: RefName? = nil, origin: VersionOrigin = .commit,
                       progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> CommitResult {
        guard let root = FileIO.realPath(path) else {
            if errno == ENOENT { throw StoreError.sourceMissing(path) }
            throw SystemError("resolve", path: path)
        }
        if let kind, let existing = try catalog.datasetKind(dataset), existing != kind {
            throw CatalogError.kindMismatch(dataset: dataset.rawValue, existing: existing.rawValue, given: kind.rawValue)
        }
        let result = try inFlight {
            try store.prepareForWriting()
            let statCache = StatCache(lakeDirectory: directory, root: root)
            let batch = ObjectBatch(store: store)
            let skipping = FileIdentity(path: directory).map { Set([$0]) } ?? []
            let ingest = try Snapshotter(store: store).snapshot(path: root, statCache: statCache, skipping: skipping, batch: batch,
                                                                 progress: progress)
            // Unchanged, and nothing had to be written again (a torn object is rewritten, and
            // then synced as usual): nothing to record.
            if ref == nil, origin == .commit, batch.claimedCount == 0,
               let record = try catalog.unchangedCommit(dataset: dataset, manifest: ingest.manifest) {
                if ingest.cacheChanged { statCache.save(ingest.cache) }
                return CommitResult(record: record, promoted: nil, filesRead: ingest.filesRead, filesFromCache: ingest.filesFromCache,
                                    bytesRead: ingest.bytesRead, objectsWritten: ingest.objectsWritten)
            }
            let checked = try ledgerBase(dataset)
            let grown = try checkLedgerGrowth(dataset, kind: kind, ingest.manifest, tables: ingest.tables)
            let superseded = try storeLedgerAppends(grown, batch: batch)
            // An unchanged tree's manifest is stored already: do not encode it again.
            if try !store.contains(ingest.manifest.id.object) { try batch.store(ingest.manifest.encoded()) }
            try batch.finish()
            // A catalogued snapshot has its metrics recorded already (an unchanged tree).
            let metrics = try catalog.hasSnapshot(ingest.manifest.id) ? []
                : Metrics.values(of: ingest.manifest, in: store) { try catalog.latestMetricsByObject(of: dataset) }
            try store.syncWritten()
            for path in superseded { unlink(path) }
            // The stat cache is saved while the catalog records the commit: its entries name
            // objects that are synced, so it holds whether or not the recording succeeds.
            let saving = DispatchGroup()
            if ingest.cacheChanged { DispatchQueue.global().async(group: saving) { statCache.save(ingest.cache) } }
            defer { saving.wait() }
            let (record, move) = try writerLock.withLock {
                try recheckLedgerGrowth(dataset, kind: kind, since: checked, ingest.manifest, tables: ingest.tables)
                let record = try catalog.recordCommit(dataset: dataset, kind: kind, manifest: ingest.manifest, tables: ingest.tables,
                                                      metrics: metrics, message: message, sourcePath: root, origin: origin)
                let move = try ref.flatMap {
                    try catalog.moveRef($0, to: ingest.manifest.id, expect: nil, action: "promote", actor: Actor.current,
                                        message: message ?? "commit \(dataset)@\(record.version)")
                }
                // Also when the ref did not move: a retry after a path failed to follow it.
                if let ref { _ = try updateBindings(of: ref, to: ingest.manifest.id) }
                return (record, move)
            }
            return CommitResult(record: record, promoted: move, filesRead: ingest.filesRead, filesFromCache: ingest.filesFromCache,
                                bytesRead: ingest.bytesRead, objectsWritten: ingest.objectsWritten)
        }
        if result.objectsWritten > 0 { mergeSmallPacksIfMany() }
        return result
    }
}
