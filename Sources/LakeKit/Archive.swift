import Foundation
import LakeRetention
import LakeCatalog
import LakeCore
import LakeStore

/// What `lake restore` did.
public struct RestoreReport: Codable, Sendable, Equatable {
    public var snapshot: String
    public var archive: String
    public var files: Int
    public var objectsWritten: Int
}

extension Lake {
    /// `archives/index.jsonl`: one line per archived version.
    public var archiveIndexPath: String { directory + "/archives/index.jsonl" }

    /// Archives the version `target` names: its snapshot goes to
    /// `archives/YYYYMMDD/<dataset>@<version>-<short id>.tar.zst`, verified (re-read, every
    /// entry re-hashed against the manifest) before its line is appended to
    /// `archives/index.jsonl` and its row recorded in the catalog. A version whose snapshot
    /// another archived version holds shares that file; a version archived already is left as
    /// it is. Returns the record and whether it was made now.
    public func archive(_ target: String, level: Int32 = 3) throws -> (record: ArchiveRecord, created: Bool) {
        try inFlight { try archiveInFlight(target, level: level) }
    }

    private func archiveInFlight(_ target: String, level: Int32) throws -> (record: ArchiveRecord, created: Bool) {
        let (id, _) = try resolve(target)
        let version = try versionFor(target, id)
        // An archive of this snapshot counts while its file is there as it was written (one
        // moved or damaged is written again, when the store still has the objects). Each file
        // is hashed once at most: versions sharing a snapshot share its file.
        let existing = try catalog.archives(of: id)
        var whole = [String: Bool]()
        func isWhole(_ r: ArchiveRecord) -> Bool {
            if let known = whole[r.archive] { return known }
            let ok = (try? SnapshotArchive.sha256(of: directory + "/" + r.archive)) == r.archiveSha256
            whole[r.archive] = ok
            return ok
        }
        if let mine = existing.first(where: { $0.dataset == version.dataset && $0.version == version.version }), isWhole(mine) {
            return (mine, false)
        }
        let manifest = try manifest(id)
        let now = Date()
        let rows = try catalog.rows(of: id)
        func record(_ archive: String, _ sha256: String, _ rootName: String) -> ArchiveRecord {
            ArchiveRecord(archive: archive, archiveSha256: sha256, dataset: version.dataset, version: version.version,
                          snapshot: id.description, originalName: rootName, files: manifest.entries.count,
                          bytes: Int64(manifest.totalBytes), rows: rows,
                          createdAt: version.createdAt, archivedAt: Timestamp.string(now))
        }
        // Another version holding this snapshot is archived already: this one shares the file.
        if let shared = existing.first(where: isWhole) {
            let made = record(shared.archive, shared.archiveSha256, shared.originalName)
            try writerLock.withLock {
                try appendIndexLine(made)
                try catalog.recordArchive(made)
            }
            return (made, true)
        }
        // archives/YYYYMMDD/: the UTC day of the record's `archivedAt`.
        let day = Timestamp.string(now).prefix(10).filter { $0 != "-" }
        let relative = "archives/\(day)/\(version.dataset)@\(version.version)-\(id.short).tar.zst"
        let path = directory + "/" + relative
        let rootName = Self.originalName(version, manifest)
        let mtime = Int64(Timestamp.date(version.createdAt)?.timeIntervalSince1970 ?? 0)
        try store.prepareForWriting()
        let written: SnapshotArchive.Written
        do {
            written = try SnapshotArchive.write(manifest, store: store, rootName: rootName, to: path, mtime: mtime, level: level)
        } catch ArchiveError.mismatch(_, let entry, let problem) {
            // The objects were read without hashing (the check is this verification): a
            // mismatch here is a damaged object in the store, not a damaged archive.
            throw ArchiveError.writtenFromDamagedStore(path: path, entry: entry, problem: problem)
        }
        let made = record(relative, written.sha256, rootName)
        try syncArchive(at: path)
        try writerLock.withLock {
            try appendIndexLine(made)
            try catalog.recordArchive(made)
        }
        return (made, true)
    }

    /// Brings the snapshot's objects back from its newest archive that verifies, checking
    /// every entry against the manifest; nothing is kept from an archive that does not.
    public func restore(_ target: String) throws -> RestoreReport {
        try inFlight { try restoreInFlight(target) }
    }

    private func restoreInFlight(_ target: String) throws -> RestoreReport {
        let (id, _) = try resolve(target)
        let archives = try catalog.archives(of: id)
        guard !archives.isEmpty else { throw ArchiveError.notArchived(target) }
        let manifest = try manifest(id)
        try store.prepareForWriting()
        var failure: Error?
        for record in archives {
            let batch = ObjectBatch(store: store)
            do {
                // The file's hash is taken on another thread while the entries are checked
                // and stored; a file that differs keeps nothing but entries that verified.
                let fileHash = Concurrent { try SnapshotArchive.sha256(of: self.directory + "/" + record.archive) }
                let verified = Result {
                    try SnapshotArchive.verify(directory + "/" + record.archive, manifest: manifest, rootName: record.originalName, restoringInto: batch)
                }
                let actual = try fileHash.value()
                guard actual == record.archiveSha256 else {
                    throw ArchiveError.corrupt(path: record.archive, entry: nil, problem: "the file hashes to \(actual), not the \(record.archiveSha256) its index line records")
                }
                try verified.get()
                try batch.finish()
                try store.syncWritten()
                return RestoreReport(snapshot: id.description, archive: record.archive, files: manifest.entries.count,
                                     objectsWritten: batch.claimedCount)
            } catch {
                failure = error
            }
        }
        throw failure!
    }

    /// Runs `body`; when it finds an object missing and the snapshot is archived (gc dropped
    /// its objects), restores it and runs `body` again if `restore`, else says how to.
    func whenArchived<T>(_ id: SnapshotID, target: String, restore: Bool, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch StoreError.missingObject(let object) {
            guard let archive = try catalog.archives(of: id).first else { throw StoreError.missingObject(object) }
            guard restore else { throw LakeError.archived(target, archive: archive.archive) }
            // Restored and read under one hold of the gc lock, so gc cannot drop them between.
            return try inFlight {
                _ = try restoreInFlight(id.description)
                return try body()
            }
        }
    }

    /// Makes an archive file under `archives/` durable with its name, before an index line or a
    /// catalog row names it: its data, then the directories that lead to it, any of which it
    /// may have created. Not `syncfs`, which also waited for every other dirty file of the
    /// filesystem (in the benchmark, the copies a checkout and `cp -a` had just written).
    public func syncArchive(at path: String) throws {
        try FileIO.sync(path)
        for name in [FileIO.parent(path), directory + "/archives", directory] { try FileIO.sync(name, directory: true) }
    }

    /// Appended like a journal record: a torn last line is cut off first, the line is synced.
    private func appendIndexLine(_ record: ArchiveRecord) throws {
        try FileManager.default.createDirectory(atPath: directory + "/archives", withIntermediateDirectories: true)
        _ = try Journal.appendLine(Journal.encoder().encode(record), to: archiveIndexPath)
    }

    /// The version an archive is named after: the one the target names, else the first that
    /// holds the snapshot.
    private func versionFor(_ target: String, _ id: SnapshotID) throws -> VersionRecord {
        let holding = try catalog.versions(holding: id)
        if case .dataset(let name, let number)? = try? TargetSyntax(target),
           let v = holding.first(where: { $0.dataset == name && (number == nil || $0.version == number) }) {
            return v
        }
        guard let first = holding.first else { throw LakeError.invalidTarget(target, reason: "no version holds this snapshot, so it cannot be named for an archive") }
        return first
    }

    /// The directory name the files had: the committed directory's; for a committed single
    /// file, or a run's output, the dataset's last part.
    static func originalName(_ v: VersionRecord, _ manifest: Manifest) -> String {
        let base = v.sourcePath.map { ($0 as NSString).lastPathComponent } ?? ""
        let singleFile = manifest.entries.count == 1 && manifest.entries[0].path == base
        let name = base.isEmpty || singleFile ? String(v.dataset.split(separator: "/").last ?? "snapshot") : base
        return Manifest.isSafePath(name) ? name : "snapshot"
    }
}
