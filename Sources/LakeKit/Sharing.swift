import LakeCatalog
import LakeCore
import LakeStore

/// What LakeRemote needs of a lake to share it: records merged under the writer lock, objects
/// fetched while gc waits, and manifests even of archived snapshots.
extension Lake {
    /// Runs `body` as a command in flight (gc waits): for objects fetched before their
    /// records are merged.
    public func transferring<T>(_ body: () throws -> T) throws -> T {
        try inFlight(body)
    }

    /// Adds records pulled from a remote (`Catalog.merge`) under the writer lock, and moves
    /// the bound paths of the refs they move.
    public func merge(_ records: [JournalRecord], contents: [String: SnapshotContent]) throws -> [JournalRecord] {
        try inFlight {
            try writerLock.withLock {
                let added = try catalog.merge(records, contents: contents)
                for case .refMove(let m) in added {
                    _ = try updateBindings(of: RefName(m.ref), to: SnapshotID(parsing: m.to))
                }
                return added
            }
        }
    }

    /// A snapshot's manifest: from its object, else (an archived snapshot whose objects gc
    /// dropped) rebuilt from the catalog's rows and checked against the snapshot's id.
    public func manifestOrCatalogued(_ id: SnapshotID) throws -> Manifest {
        if try store.contains(id.object) { return try manifest(id) }
        let entries = try catalog.files(of: id).map {
            ManifestEntry(path: $0.path, mode: $0.mode, size: UInt64($0.size), object: try ObjectID(parsing: $0.object))
        }
        let manifest = try Manifest(entries: entries)
        guard manifest.id == id else { throw LakeError.snapshotMissing(id.description) }
        return manifest
    }
}
