import Foundation
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
        guard (try catalog.datasetKind(dataset) ?? kind) == .ledger else { return [] }
        let new = Dictionary(manifest.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let store = self.store
        let grown = try checkGrowth(dataset, of: { path in
            guard let n = new[path] else { return nil }
            return LedgerFile(size: n.size, object: n.object, rows: { tables[path]?.rows }) { length in
                guard let location = try store.location(of: n.object) else { throw StoreError.missingObject(n.object) }
                return try Self.prefixHash(length) { body in _ = try store.read(at: location, body) }
            }
        })
        return grown.compactMap { old in new[old.path].map { (old, $0) } }
    }

    /// What the growth check of `dataset` went by: its kind and its latest version. A commit
    /// that finds it changed when it records (another commit of the dataset in between) checks
    /// again under the writer lock, so two appends at once cannot both be recorded.
    func ledgerBase(_ dataset: DatasetName) throws -> LedgerBase {
        let latest = try? catalog.version(of: dataset, number: nil)
        return LedgerBase(kind: try catalog.datasetKind(dataset), version: latest?.version, snapshot: latest?.snapshot)
    }

    /// Under the writer lock: checks again, if `dataset` changed since `checked` (another
    /// command recorded a version of it meanwhile), that the new version still only appends.
    func recheckLedgerGrowth(_ dataset: DatasetName, kind: Kind?, since checked: LedgerBase, _ manifest: Manifest,
                             tables: [String: TableProfile]) throws {
        if try ledgerBase(dataset) != checked { _ = try checkLedgerGrowth(dataset, kind: kind, manifest, tables: tables) }
    }

    struct LedgerBase: Equatable {
        var kind: Kind?
        var version: Int?
        var snapshot: String?
    }

    /// The same check against a tree on disk before anything is read into the lake (an
    /// import refuses a shrunk ledger before it records any of its versions).
    func checkLedgerOnDisk(_ root: String, dataset: DatasetName) throws {
        let single = FileIO.lstat(root).map { $0.st_mode & S_IFMT != S_IFDIR } ?? false
        _ = try checkGrowth(dataset, of: { path in
            let full = single ? root : root + "/" + path
            guard let st = FileIO.lstat(full), st.st_mode & S_IFMT == S_IFREG else { return nil }
            /// Streams the file's bytes, stopping once `limit` bytes were read.
            func read(upTo limit: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
                let fd = try FileIO.open(full, O_RDONLY)
                defer { close(fd) }
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                var done: UInt64 = 0
                while done < limit, case let n = try FileIO.read(fd, buffer, 1 << 20, path: full), n > 0 {
                    try body(UnsafeRawBufferPointer(start: buffer, count: n))
                    done += UInt64(n)
                }
            }
            // Rows are counted only for a refusal's message: a ledger that grew is read up to
            // its old length, once.
            let rows = {
                try TableProfiler(fileName: path).map { profiler in
                    try read(upTo: .max) { profiler.update($0) }
                    return profiler.finish().rows
                }
            }
            return LedgerFile(size: UInt64(st.st_size), object: nil, rows: rows) { length in
                try Self.prefixHash(length) { try read(upTo: length, $0) }
            }
        })
    }

    /// A file of a ledger's new version, as the growth check sees it.
    struct LedgerFile {
        var size: UInt64
        /// Known when the file is stored: equal to the old one means unchanged.
        var object: ObjectID?
        /// Its row count, asked only to say what a refusal would lose.
        var rows: () throws -> Int64?
        /// The hash of the file's first N bytes.
        var prefix: (UInt64) throws -> ObjectID
    }

    /// Checks every file of the dataset's latest version against `file(path)`; returns the
    /// latest version's entries of the files that grew.
    private func checkGrowth(_ dataset: DatasetName, of file: (String) throws -> LedgerFile?) throws -> [ManifestEntry] {
        guard let latest = try? catalog.version(of: dataset, number: nil) else { return [] }
        let old = try self.manifest(SnapshotID(parsing: latest.snapshot))
        let oldRows = Dictionary(try catalog.files(of: SnapshotID(parsing: latest.snapshot)).compactMap { f in f.rows.map { (f.path, $0) } },
                                 uniquingKeysWith: { a, _ in a })
        func refuse(_ path: String, _ problem: String, rows: Int64? = nil) -> LakeError {
            // " (N of its M rows)" when the file has rows.
            let lost = oldRows[path].map { " (\($0 - (rows ?? 0)) of its \($0) rows)" } ?? ""
            return .ledgerNotAppended(dataset: dataset.rawValue, version: latest.version, path: path, problem: problem + lost)
        }
        var grown = [ManifestEntry]()
        for e in old.entries {
            guard let n = try file(e.path) else { throw refuse(e.path, "the file is gone, losing its \(e.size) bytes") }
            if n.object == e.object { continue }
            guard n.size >= e.size else { throw refuse(e.path, "it would lose \(e.size - n.size) of its \(e.size) bytes", rows: try n.rows()) }
            guard try n.prefix(e.size) == e.object else {
                throw refuse(e.path, "its first \(e.size) bytes differ: it was rewritten, not appended to")
            }
            grown.append(e)
        }
        return grown
    }

    /// The SHA-256 of the first `length` bytes a reader streams.
    private static func prefixHash(_ length: UInt64, _ read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> ObjectID {
        var prefix = SHA256Hasher()
        var left = Int(length)
        try read { chunk in
            guard left > 0 else { return }
            let take = min(left, chunk.count)
            prefix.update(UnsafeRawBufferPointer(rebasing: chunk[0 ..< take]))
            left -= take
        }
        return prefix.finalize()
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
