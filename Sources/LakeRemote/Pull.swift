import Foundation
import LakeCatalog
import LakeCore
import LakeKit
import LakeStore

/// What a pull brought.
public struct PullReport: Codable, Sendable {
    public var remote: String
    public var url: String
    /// Catalog records merged into this lake.
    public var records = 0
    public var snapshots = 0
    public var objects = 0
    public var bytes: UInt64 = 0
    public var archives = 0
    /// Refs that moved here.
    public var refs: [String] = []
}

extension RunRecord {
    /// The objects a run names: its logs and its code files.
    var objects: [ObjectID] {
        ([stdoutObject, stderrObject].compactMap { $0 } + (code ?? [:]).values).compactMap { try? ObjectID(parsing: $0) }
    }
}

extension Remote {
    /// Brings what this lake lacks, in the lake's own write order: objects (each verified
    /// against its name as it arrives) and archives, one sync, then one catalog transaction
    /// merging the records. `metadataOnly` brings the manifests and profiles but no file
    /// contents: reads fetch those on demand (`RemoteSource`). Records that contradict this
    /// lake merge nothing (`CatalogError.mergeConflicts`, exit 5).
    public func pull(into lake: Lake, selection: Selection, metadataOnly: Bool,
                     progress: ((UInt64, UInt64) -> Void)? = nil) throws -> PullReport {
        try checkFormat(create: false)
        var report = PullReport(remote: name, url: url)
        var records = Array(try journal().joined())
        // Moves that never reached the journal (their pusher died between moving the ref and
        // appending them) are in the ref's object.
        let inJournal = Set(records.map(\.identity))
        for ref in try refNames() {
            for m in try self.ref(ref)?.moves ?? [] where !inJournal.contains(JournalRecord.refMove(m).identity) { records.append(.refMove(m)) }
        }
        let here = Set(try lake.catalog.journalRecords().map(\.identity))
        let keptArchives = try KeptArchives(lake)
        let new = try selection.filter(records).filter { !here.contains($0.identity) && !keptArchives.replace($0) }

        var snapshots = [SnapshotID]()
        for record in new {
            for v in record.versions {
                let id = try SnapshotID(parsing: v.snapshot)
                if try !lake.catalog.hasSnapshot(id), !snapshots.contains(id) { snapshots.append(id) }
            }
        }
        let added = try lake.transferring { () -> [JournalRecord] in
            let inventory = try self.inventory()
            let batch = ObjectBatch(store: lake.store)
            try fetch(try snapshots.map(\.object).filter { try !lake.store.contains($0) }, inventory: inventory, into: batch)
            try batch.finish()
            var contents = [String: SnapshotContent]()
            let lock = NSLock()
            try Parallel.forEach(snapshots) { id in
                let manifest = try lake.manifest(id)
                let profile = try self.profile(of: id)
                lock.lock(); defer { lock.unlock() }
                if let profile {
                    contents[id.description] = profile.content(with: manifest)
                } else if metadataOnly {
                    contents[id.description] = SnapshotContent(manifest: manifest, tables: [:], metrics: [])
                }
            }
            report.snapshots = snapshots.count
            if !metadataOnly {
                // Every selected snapshot's objects, not only the new ones': a lake cloned
                // with --metadata-only gets whole with a plain pull.
                let selected = try selection.filter(records)
                var archived = Set<String>()
                for case .archive(let a) in selected { archived.insert(a.snapshot) }
                var wanted = [ObjectID: String]()
                var seen = Set<String>()
                for record in selected {
                    for v in record.versions where seen.insert(v.snapshot).inserted {
                        let id = try SnapshotID(parsing: v.snapshot)
                        // What an archive holds comes back with the archive.
                        let optional = try archived.contains(v.snapshot) || !lake.catalog.archives(of: id).isEmpty
                        for e in try lake.manifest(id).entries where !optional || inventory.has(e.object) {
                            wanted[e.object] = v.snapshot
                        }
                    }
                    if case .run(let r) = record {
                        for id in r.objects { wanted[id] = r.id }
                    }
                }
                var missing = [ObjectID]()
                for (id, owner) in wanted where try !lake.store.contains(id) {
                    guard inventory.has(id) else { throw RemoteError.objectMissing(remote: name, id: "\(id) (of \(owner))") }
                    missing.append(id)
                }
                let total = missing.reduce(UInt64(0)) { $0 + (inventory.packed[$1]?.length ?? inventory.loose[$1] ?? 0) }
                let done = Counter()
                try fetch(missing, inventory: inventory, into: batch) { progress?(done.add($0), total) }
                try batch.finish()
                report.objects = missing.count
                report.bytes = total
                for case .archive(let a) in selected where !keptArchives.replace(.archive(a)) {
                    report.archives += try fetchArchive(a, into: lake) ? 1 : 0
                }
            }
            try lake.store.syncWritten()
            return try lake.merge(new, contents: contents)
        }
        report.records = added.count
        for case .refMove(let m) in added where !report.refs.contains(m.ref) { report.refs.append(m.ref) }
        return report
    }

    /// Downloads an archive this lake lacks to its place under `archives/`, checked against
    /// its hash, and lists it in `archives/index.jsonl`. False when it was there.
    private func fetchArchive(_ a: ArchiveRecord, into lake: Lake) throws -> Bool {
        let path = lake.directory + "/" + a.archive
        if FileManager.default.fileExists(atPath: path) { return false }
        try FileIO.makeDirectories(FileIO.parent(path))
        let tmp = lake.store.tmpDirectory + "/" + FileIO.uniqueName("archive")
        defer { unlink(tmp) }
        let actual = try client.withRetries(key(a.archive)) { () -> ObjectID in
            let fd = try FileIO.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            defer { close(fd) }
            var hasher = SHA256Hasher()
            try client.stream(key(a.archive)) { chunk in
                hasher.update(chunk)
                try FileIO.writeAll(fd, chunk, path: tmp)
            }
            return hasher.finalize()
        }
        guard actual.description == a.archiveSha256 else {
            throw RemoteError.corruptObject(key: key(a.archive), expected: a.archiveSha256, actual: actual.description)
        }
        guard chmod(tmp, 0o444) == 0 else { throw SystemError("chmod", path: tmp) }
        guard rename(tmp, path) == 0 else { throw SystemError("rename", path: tmp) }
        try lake.syncArchive(at: path)
        _ = try Journal.appendLine(Journal.encoder().encode(a), to: lake.archiveIndexPath)
        return true
    }
}

/// This lake's own archives, which a pull keeps. Two lakes that archive one version on the same
/// day name their archives alike, with other bytes if they compress otherwise; and versions of
/// one snapshot share its archive file. A remote record naming a version this lake archived
/// itself, or a path it holds, with another hash would replace a record with one its file does
/// not match: it is neither fetched nor merged while this lake's file is there. When that file
/// is gone, the remote's archive (the same files) is fetched and its record replaces the lost one.
private struct KeptArchives {
    var byVersion = [String: String]()
    var byPath = [String: String]()

    init(_ lake: Lake) throws {
        for a in try lake.catalog.archives(of: nil) where FileManager.default.fileExists(atPath: lake.directory + "/" + a.archive) {
            byVersion["\(a.dataset)@\(a.version)"] = a.archiveSha256
            byPath[a.archive] = a.archiveSha256
        }
    }

    func replace(_ record: JournalRecord) -> Bool {
        guard case .archive(let a) = record else { return false }
        return [byVersion["\(a.dataset)@\(a.version)"], byPath[a.archive]].contains { $0 != nil && $0 != a.archiveSha256 }
    }
}

/// Fetches the objects a lake cloned with `--metadata-only` lacks, from its remote, when a
/// command reads them (`ObjectStore.source`). The remote is opened, and credentials read, only
/// at the first object missing.
public final class RemoteSource: ObjectSource, @unchecked Sendable {
    private let remotes: Remotes
    private let config: RemoteConfig
    private let lock = NSLock()
    private var opened: (remote: Remote, inventory: Remote.Inventory)?

    init(remotes: Remotes, config: RemoteConfig) {
        (self.remotes, self.config) = (remotes, config)
    }

    /// The source for `lake`: the remote reads fetch from (one a `--metadata-only` clone or
    /// pull marked; the default one first); nil when there is none.
    public static func forLake(_ lake: Lake) -> RemoteSource? {
        let remotes = Remotes(lake)
        let marked = ((try? remotes.all()) ?? []).filter { $0.fetchOnDemand == true }
        let preferred = (try? remotes.resolve(nil)).flatMap { d in marked.first { $0.name == d.name } }
        return (preferred ?? marked.first).map { RemoteSource(remotes: remotes, config: $0) }
    }

    /// Fetches those of `ids` the remote has; the others stay missing, for the caller to
    /// report (or to restore from an archive).
    public func fetch(_ ids: [ObjectID], into store: ObjectStore) throws {
        lock.lock(); defer { lock.unlock() }
        let (remote, inventory) = try open()
        let batch = ObjectBatch(store: store)
        try remote.fetch(ids.filter(inventory.has), inventory: inventory, into: batch)
        try batch.finish()
        try store.sync()
    }

    public func holds(_ ids: [ObjectID]) throws -> Set<ObjectID> {
        lock.lock(); defer { lock.unlock() }
        let inventory = try open().inventory
        return Set(ids.filter(inventory.has))
    }

    private func open() throws -> (remote: Remote, inventory: Remote.Inventory) {
        if let opened { return opened }
        let remote = try remotes.open(config)
        opened = (remote, try remote.inventory())
        return opened!
    }
}
