import LakeCatalog
import LakeCore
import LakeStore

extension Lake {
    /// Invariant 5: a new version of a ledger dataset must start, file by file, with the bytes
    /// of the latest version. A file that is gone, shorter, or different in its first bytes
    /// (a resumed job that truncated or rewrote its log) is refused with what would be lost.
    /// Returns the files that grew, as (latest version's entry, new entry).
    func checkLedgerGrowth(_ dataset: DatasetName, kind: Kind?, _ manifest: Manifest,
                           tables: [String: TableProfile]) throws -> [(old: ManifestEntry, new: ManifestEntry)] {
        guard (try catalog.datasetKind(dataset) ?? kind) == .ledger,
              let latest = try? catalog.version(of: dataset, number: nil) else { return [] }
        let old = try self.manifest(SnapshotID(parsing: latest.snapshot))
        let new = Dictionary(manifest.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let oldRows = Dictionary(try catalog.files(of: SnapshotID(parsing: latest.snapshot)).compactMap { f in f.rows.map { (f.path, $0) } },
                                 uniquingKeysWith: { a, _ in a })
        /// " (N of its M rows)" when the file has rows.
        func rowsLost(_ path: String) -> String {
            guard let before = oldRows[path] else { return "" }
            return " (\(before - (tables[path]?.rows ?? 0)) of its \(before) rows)"
        }
        func refuse(_ path: String, _ problem: String) -> LakeError {
            .ledgerNotAppended(dataset: dataset.rawValue, version: latest.version, path: path, problem: problem)
        }
        var grown = [(old: ManifestEntry, new: ManifestEntry)]()
        for e in old.entries where new[e.path]?.object != e.object {
            guard let n = new[e.path] else { throw refuse(e.path, "the file is gone, losing its \(e.size) bytes\(rowsLost(e.path))") }
            guard n.size >= e.size else { throw refuse(e.path, "it would lose \(e.size - n.size) of its \(e.size) bytes\(rowsLost(e.path))") }
            guard let location = try store.location(of: n.object) else { throw StoreError.missingObject(n.object) }
            var prefix = SHA256Hasher()
            var left = Int(e.size)
            _ = try store.read(at: location) { chunk in
                guard left > 0 else { return }
                let take = min(left, chunk.count)
                prefix.update(UnsafeRawBufferPointer(rebasing: chunk[0 ..< take]))
                left -= take
            }
            guard prefix.finalize() == e.object else {
                throw refuse(e.path, "its first \(e.size) bytes differ: it was rewritten, not appended to")
            }
            grown.append((e, n))
        }
        return grown
    }

    /// Stores each grown ledger file as its previous version plus the appended bytes, so a
    /// ledger of many versions costs about its final size (Segments.swift). Returns the loose
    /// copies to remove once the caller's sync made the segments durable.
    func storeLedgerAppends(_ grown: [(old: ManifestEntry, new: ManifestEntry)], batch: ObjectBatch) throws -> [String] {
        try grown.compactMap { old, new in
            guard try store.contains(old.object) else { return nil }
            return try store.storeAsAppend(new.object, size: new.size, extending: old.object, baseSize: old.size, batch: batch)
        }
    }
}
