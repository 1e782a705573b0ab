import Foundation
import LakeCatalog
import LakeCore
import LakeKit
import LakeStore

/// What a push sent.
public struct PushReport: Codable, Sendable {
    public var remote: String
    public var url: String
    /// Catalog records appended to the remote's journal.
    public var records = 0
    public var objects = 0
    public var bytes: UInt64 = 0
    public var archives = 0
    /// Refs moved on the remote.
    public var refs: [String] = []
}

extension Remote {
    /// Small objects are sent in packs of about this size: few requests, and an interrupted
    /// push loses at most the packs in flight.
    static let packTarget = 16 << 20

    /// Sends what the remote lacks, in the order that keeps it valid at every moment: objects,
    /// snapshot profiles and archives first; then the catalog records, as one journal batch;
    /// then the refs, each by compare-and-swap, and their moves as a second batch. A push
    /// killed at any point leaves only unreferenced objects, which the next push finds there
    /// and does not send again.
    public func push(_ lake: Lake, selection: Selection, progress: ((UInt64, UInt64) -> Void)? = nil) throws -> PushReport {
        // As a command in flight: gc waits, so no object is dropped while it is sent.
        try lake.transferring { try pushInFlight(lake, selection: selection, progress: progress) }
    }

    private func pushInFlight(_ lake: Lake, selection: Selection, progress: ((UInt64, UInt64) -> Void)?) throws -> PushReport {
        try checkFormat(create: true)
        var report = PushReport(remote: name, url: url)
        let local = try selection.filter(lake.catalog.journalRecords())
        let remoteRecords = try journal().joined()
        let onRemote = Set(remoteRecords.map(\.identity))
        try checkVersions(local, against: Array(remoteRecords))
        let refs = try plannedRefMoves(local, selection: selection, journaled: onRemote)

        // Another lake that archived the same version on the same day named its archive as
        // this lake names its own, with other bytes if it compressed otherwise (its level, its
        // zstd). The remote keeps the one it has, which holds the same files; this lake's stays
        // here, unannounced.
        var remoteArchives = [String: String]()
        for case .archive(let a) in remoteRecords { remoteArchives[a.archive] = a.archiveSha256 }
        func anotherLakes(_ record: JournalRecord) -> Bool {
            guard case .archive(let a) = record, let there = remoteArchives[a.archive] else { return false }
            return there != a.archiveSha256
        }
        let records = local.filter { record in
            if case .refMove = record { return false }
            return !onRemote.contains(record.identity) && !anotherLakes(record)
        }
        var objects = [ObjectID: UInt64]()
        // Manifests of archived snapshots that gc dropped, rebuilt from the catalog.
        var rebuilt = [ObjectID: [UInt8]]()
        var snapshots = [SnapshotID]()
        for record in records {
            for v in record.versions {
                let id = try SnapshotID(parsing: v.snapshot)
                snapshots.append(id)
                let manifest = try lake.manifestOrCatalogued(id)
                let encoded = manifest.encoded()
                objects[id.object] = UInt64(encoded.count)
                if try !lake.store.contains(id.object) { rebuilt[id.object] = encoded }
                let archived = try !lake.catalog.archives(of: id).isEmpty
                for e in manifest.entries {
                    // An archived snapshot's objects may be gone: its archive carries them.
                    if archived, try !lake.store.contains(e.object) { continue }
                    objects[e.object] = e.size
                }
            }
            if case .run(let r) = record {
                for id in r.objects {
                    if let size = try lake.store.size(of: id) { objects[id] = size }
                }
            }
        }
        let inventory = try self.inventory()
        let missing = objects.filter { !inventory.has($0.key) }
        try upload(missing, from: lake, rebuilt: rebuilt, report: &report, progress: progress)
        try Parallel.forEach(snapshots) { id in try self.putProfile(lake.catalog.profile(of: id), of: id) }
        for case .archive(let a) in records {
            let key = self.key(a.archive)
            if try client.head(key) != nil { continue }
            let path = lake.directory + "/" + a.archive
            guard let st = FileIO.lstat(path) else { throw SystemError("stat", path: path) }
            let size = UInt64(st.st_size)
            try uploadFile(path, size: size, sha256: String(a.archiveSha256.dropFirst(ObjectID.scheme.count)), as: key)
            report.archives += 1
            report.bytes += size
        }
        report.records += try append(records)
        // Every archive's line, not only the new ones': a push that died before writing them
        // is made good by the next.
        let archives = local.compactMap { record -> ArchiveRecord? in
            if case .archive(let a) = record, !anotherLakes(record) { return a }
            return nil
        }
        if !archives.isEmpty { try addToArchiveIndex(archives) }

        for planned in refs where planned.swap {
            let ref = planned.moves[planned.moves.count - 1].ref
            guard try swapRef(planned.moves, etag: planned.etag) else { throw try movedOnRemote(ref) }
            report.refs.append(ref)
        }
        report.records += try append(refs.flatMap { $0.moves.map(JournalRecord.refMove) })
        return report
    }

    /// Refuses records that make another snapshot a version the remote already has.
    func checkVersions(_ records: [JournalRecord], against remote: [JournalRecord]) throws {
        var there = [String: String]()
        for r in remote { for v in r.versions { there["\(v.dataset)@\(v.version)"] = v.snapshot } }
        var conflicts = [String]()
        for r in records {
            for v in r.versions {
                if let other = there["\(v.dataset)@\(v.version)"], other != v.snapshot {
                    conflicts.append("\(v.dataset)@\(v.version) is \(v.snapshot) here and \(other) on the remote")
                }
            }
        }
        if !conflicts.isEmpty {
            throw RemoteError.conflicts(remote: name, conflicts + ["Two lakes made different versions under one number: pull before committing to a shared dataset"])
        }
    }

    struct PlannedRef {
        /// The ref's moves the remote's journal lacks, oldest first; the last is where the ref
        /// goes. They travel in the ref object too, so a push that dies before appending them
        /// to the journal loses none (`Remote.RemoteRef`).
        var moves: [JournalRecord.RefMoveEntry]
        /// False when the remote ref is where this lake's is, and only the journal lacks moves.
        var swap: Bool
        /// The remote ref's ETag; nil: it does not exist yet.
        var etag: String?
    }

    /// The refs to move on the remote: each must be where this lake saw it last (a move of
    /// this lake's ref log), or missing. One that moved on elsewhere stops the push before
    /// anything is sent.
    func plannedRefMoves(_ records: [JournalRecord], selection: Selection, journaled: Set<String>) throws -> [PlannedRef] {
        var out = [PlannedRef]()
        for ref in selection.refs(in: records) {
            var moves = [JournalRecord.RefMoveEntry]()
            for case .refMove(let m) in records where m.ref == ref { moves.append(m) }
            guard let last = moves.last else { continue }
            let missing = moves.filter { !journaled.contains(JournalRecord.refMove($0).identity) }
            let sent = missing.last == last ? missing : missing + [last]
            guard let remote = try self.ref(ref) else {
                out.append(PlannedRef(moves: sent, swap: true, etag: nil))
                continue
            }
            if remote.move == last {
                if !missing.isEmpty { out.append(PlannedRef(moves: missing, swap: false, etag: remote.etag)) }
                continue
            }
            guard moves.contains(remote.move) else { throw try movedOnRemote(ref) }
            out.append(PlannedRef(moves: sent, swap: true, etag: remote.etag))
        }
        return out
    }

    func movedOnRemote(_ ref: String) throws -> RemoteError {
        let now = try self.ref(ref)?.move
        return .refMovedOnRemote(remote: name, ref: ref, to: now?.to ?? "nothing", by: now?.actor ?? "someone", at: now?.at ?? "just now")
    }

    /// Appends the records the remote's journal lacks as one new batch, reading the journal
    /// again whenever another lake took the next number first. Returns how many were added.
    func append(_ records: [JournalRecord]) throws -> Int {
        var unanswered = 0
        for _ in 0 ..< 50 {
            let batches = try journal()
            let there = Set(batches.joined().map(\.identity))
            let pending = records.filter { !there.contains($0.identity) }
            guard !pending.isEmpty else { return 0 }
            try checkVersions(pending, against: Array(batches.joined()))
            switch try appendBatch(pending, number: batches.count + 1) {
            case .appended: return pending.count
            case .taken: continue
            case .unanswered(let error):
                // Retried as any request is; a server that keeps not answering writes is down.
                unanswered += 1
                if unanswered == 3 { throw error }
            }
        }
        throw S3Error.uncertain(key: key("journal/"), cause: "other lakes kept appending to the journal")
    }

    /// Uploads objects: small ones in packs, large ones one by one, side by side.
    private func upload(_ objects: [ObjectID: UInt64], from lake: Lake, rebuilt: [ObjectID: [UInt8]], report: inout PushReport,
                        progress: ((UInt64, UInt64) -> Void)?) throws {
        enum Job { case pack([ObjectID]); case loose(ObjectID, UInt64) }
        var jobs = [Job]()
        var pack = [ObjectID](), packBytes = 0
        for (id, size) in objects.sorted(by: { $0.key < $1.key }) {
            if size >= UInt64(ObjectStore.looseThreshold), rebuilt[id] == nil {
                jobs.append(.loose(id, size))
                continue
            }
            pack.append(id)
            packBytes += Int(size)
            if packBytes >= Self.packTarget {
                jobs.append(.pack(pack))
                (pack, packBytes) = ([], 0)
            }
        }
        if !pack.isEmpty { jobs.append(.pack(pack)) }
        let total = objects.values.reduce(0, +)
        let done = Counter()
        let store = lake.store
        try Parallel.forEach(jobs) { job in
            switch job {
            case .pack(let ids):
                // Each object read (and verified) straight into the pack's buffer.
                var pack = PackFormat.Builder(capacity: Self.packTarget + (1 << 20))
                for id in ids {
                    try pack.append(id) { sink in
                        if let bytes = rebuilt[id] { try bytes.withUnsafeBytes(sink) } else { try store.read(id, sink) }
                    }
                }
                let size = UInt64(pack.byteCount)
                try self.uploadPack(&pack)
                progress?(done.add(size), total)
            case .loose(let id, let size):
                try self.uploadLoose(id, size: size, from: store)
                progress?(done.add(size), total)
            }
        }
        report.objects += objects.count
        report.bytes += total
    }

    /// A large object goes up from its loose file; one stored otherwise (segments of a
    /// ledger) is first put together in a temp file.
    private func uploadLoose(_ id: ObjectID, size: UInt64, from store: ObjectStore) throws {
        if case .loose(let path)? = try store.location(of: id) {
            return try uploadFile(path, size: size, sha256: id.hex, as: objectKey(id))
        }
        let tmp = store.tmpDirectory + "/" + FileIO.uniqueName("push")
        let fd = try FileIO.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        defer { unlink(tmp) }
        do {
            defer { close(fd) }
            try store.read(id) { try FileIO.writeAll(fd, $0, path: tmp) }
        }
        try uploadFile(tmp, size: size, sha256: id.hex, as: objectKey(id))
    }
}

/// A byte count shared by transfer threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0

    /// Adds `n`; returns the new total.
    func add(_ n: UInt64) -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        value += n
        return value
    }
}
