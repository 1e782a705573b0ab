import Foundation
import LakeCatalog
import LakeCore
import LakeRetention
import LakeStore

/// What `lake gc` dropped (or, with --dry-run, would drop).
public struct GCReport: Codable, Sendable, Equatable {
    public struct Dropped: Codable, Sendable, Equatable {
        public var object: String
        public var bytes: UInt64
        public var location: String
        /// `only in archived snapshots` or `named by no snapshot or run`.
        public var why: String
    }

    public var dryRun: Bool
    public var liveObjects: Int
    public var dropped: [Dropped]
    public var bytesFreed: UInt64
    public var packsDeleted: Int
    public var packsRewritten: Int
    /// Read-only views (`.lake/views/`) no bound path shows any more.
    public var viewsRemoved: Int
    /// Archives (paths relative to `.lake/`) that are missing or do not hash to their record:
    /// the objects only they would hold were kept, and their versions restore from nowhere
    /// until the file is back or `lake archive` writes it again.
    public var archivesUnusable: [String]
}

extension Lake {
    /// Drops objects nothing live uses (invariant 4). Live: every object of a ref target, of
    /// both ends of a ref move inside the grace window, of every version that is not archived,
    /// of the inputs of kept failed runs; every manifest; every run's logs and code; and every
    /// object file younger than the grace. Packs whose live part falls below `rewriteBelow`
    /// are rewritten, so are packs under `mergeBelow` bytes that hold any dead object, and so
    /// are all packs under `mergeBelow` bytes when there are at least `mergeAtLeast` of them: their live objects go to one new pack, made durable before any
    /// old one goes, so a live object always exists somewhere. Holds the gc lock exclusively:
    /// commands in flight finish first.
    ///
    /// Why merge: a commit of a few changed files makes a pack or two, and every command's first
    /// object lookup reads the index of every pack. A lake that commits every hour would read
    /// 17,000 indexes a year later; git's `gc.autoPackLimit` is 50 for the same reason. Commits
    /// and runs merge them too (`mergeSmallPacksIfMany`), when nothing else is in flight.
    public func gc(grace: TimeInterval, dryRun: Bool, rewriteBelow: Double = 0.5, mergeBelow: UInt64 = Lake.smallPackBytes,
                   mergeAtLeast: Int = Lake.smallPackLimit, now: Date = Date()) throws -> GCReport {
        try LakeLock.gc(directory, shared: false).withLock {
            let keptRuns = ((try? FileManager.default.contentsOfDirectory(atPath: runsDirectory)) ?? []).filter { $0.hasPrefix("run-") }
            let live = try catalog.liveSnapshots(movedSince: Timestamp.string(now.addingTimeInterval(-grace)), keptRuns: keptRuns)
            var keep = try catalog.objects(of: live)
            for s in try catalog.allSnapshots() { keep.insert(s.object) }
            for (object, _) in try catalog.runObjects() { if let id = try? ObjectID(parsing: object) { keep.insert(id) } }
            // An archived version's objects go only while its archive is there and whole.
            let unusable = try unusableArchives(live: live, keeping: &keep)
            let cutoff = now.addingTimeInterval(-grace).timeIntervalSince1970
            func young(_ path: String) -> Bool {
                var st = stat()
                return lstat(path, &st) != 0 || Double(st.st_mtim.tv_sec) >= cutoff
            }
            // A segment list that stays keeps its parts (a ledger's earlier versions): a live
            // one, and a young one, which a failed commit may have left for its retry to find.
            let segmented = store.segmentedObjects()
            for (id, path) in segmented where keep.contains(id) || young(path) {
                for part in try store.segments(of: id) ?? [] { keep.insert(part.id) }
            }
            let archived = try catalog.objectsOfArchivedSnapshots()
            func why(_ id: ObjectID) -> String { archived.contains(id) ? "only in archived snapshots" : "named by no snapshot or run" }
            var report = GCReport(dryRun: dryRun, liveObjects: keep.count, dropped: [], bytesFreed: 0, packsDeleted: 0, packsRewritten: 0,
                                  viewsRemoved: 0, archivesUnusable: unusable)
            // Segment lists before the loose objects that may be their parts: a crash between
            // leaves no list that names a removed part.
            for (id, path) in segmented where !keep.contains(id) && !young(path) {
                report.dropped.append(.init(object: id.description, bytes: 0, location: path, why: why(id)))
                if !dryRun { unlink(path) }
            }
            for (id, path) in try store.looseObjects() {
                guard let id, !keep.contains(id), !young(path) else { continue }
                var st = stat()
                lstat(path, &st)
                report.dropped.append(.init(object: id.description, bytes: UInt64(st.st_size), location: path, why: why(id)))
                report.bytesFreed += UInt64(st.st_size)
                if !dryRun { unlink(path) }
            }
            var byPack = [String: [(ObjectID, ObjectLocation)]]()
            for (id, location) in try store.packedObjects() {
                if case .packed(let path, _, _) = location { byPack[path, default: []].append((id, location)) }
            }
            let settled = byPack.filter { !young($0.key) }
            let small = Set(settled.keys.filter { (FileIO.lstat($0).map { UInt64($0.st_size) } ?? .max) < mergeBelow })
            let merged = small.count >= mergeAtLeast ? small : []
            var rewritten = Set<String>()
            for (pack, entries) in settled.sorted(by: { $0.key < $1.key }) {
                let dead = entries.filter { !keep.contains($0.0) }
                let liveEntries = entries.filter { keep.contains($0.0) }
                // A small pack costs little to rewrite, so any dead object is reason enough (the
                // small packs a commit merged hold the dead objects of many commits among the live).
                let mostlyDead = !dead.isEmpty && Double(liveEntries.count) / Double(entries.count) < rewriteBelow
                guard mostlyDead || (!dead.isEmpty && small.contains(pack)) || merged.contains(pack) else { continue }
                for (id, location) in dead {
                    guard case .packed(_, _, let length) = location else { continue }
                    report.dropped.append(.init(object: id.description, bytes: length, location: pack, why: why(id)))
                    report.bytesFreed += length
                }
                if liveEntries.isEmpty { report.packsDeleted += 1 } else { report.packsRewritten += 1 }
                rewritten.insert(pack)
            }
            if !dryRun, !rewritten.isEmpty {
                try store.rewrite(packs: rewritten) { keep.contains($0) }
            }
            // Removals need no sync: one a crash undoes leaves a file the next gc drops.
            if !dryRun {
                // Under the writer lock: a bind or promote makes views and moves links.
                report.viewsRemoved = try writerLock.withLock { try pruneViews() }
            }
            return report
        }
    }

    /// The archives that would hold the only copy of objects gc is about to drop, and that are
    /// missing or do not hash to what the catalog recorded: the objects of the snapshots they
    /// hold are added to `keep`, as if their versions were not archived. An archive whose
    /// snapshots' objects are all gone already, or all kept anyway, is not read.
    private func unusableArchives(live: Set<String>, keeping keep: inout Set<ObjectID>) throws -> [String] {
        let archived = try catalog.archives(of: nil).filter { !live.contains($0.snapshot) }
        var unusable = [String]()
        for (path, records) in Dictionary(grouping: archived, by: \.archive).sorted(by: { $0.key < $1.key }) {
            let objects = try catalog.objects(of: Set(records.map(\.snapshot)))
            guard try objects.contains(where: { try !keep.contains($0) && store.contains($0) }) else { continue }
            if (try? SnapshotArchive.sha256(of: directory + "/" + path)) == records[0].archiveSha256 { continue }
            unusable.append(path)
            keep.formUnion(objects)
        }
        return unusable
    }

    /// A pack under this many bytes is small: `gc` and `mergeSmallPacksIfMany` merge the small
    /// packs once there are `smallPackLimit` of them.
    public static let smallPackBytes: UInt64 = 16 << 20
    public static let smallPackLimit = 50

    /// Merges the small packs into one, as `gc` does but dropping nothing, once there are
    /// `smallPackLimit` of them: a commit or run calls it when it has finished, so the number
    /// of packs every lookup reads stays bounded without a `lake gc`. Only when the gc lock is
    /// free at once (no command in flight, no gc); otherwise everything stays as it was, for a
    /// later write or `lake gc`. A pack that does not read whole (damaged: `lake fsck` reports
    /// it) is left out and the others merged.
    func mergeSmallPacksIfMany() {
        // Counted from a listing: a run may not have read any pack index.
        func smallPacks() -> Set<String> {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: store.packsDirectory)) ?? []).filter { $0.hasSuffix(".pack") }
            guard names.count >= Self.smallPackLimit else { return [] }
            return Set(names.map { store.packsDirectory + "/" + $0 }.filter {
                (FileIO.lstat($0).map { UInt64($0.st_size) } ?? .max) < Self.smallPackBytes
            })
        }
        guard smallPacks().count >= Self.smallPackLimit else { return }
        _ = try? LakeLock.gc(directory, shared: false).ifFree {
            // Listed again under the lock: another process may have merged them first.
            var small = smallPacks()
            store.reloadPackIndexes()
            while small.count >= Self.smallPackLimit {
                do {
                    return try store.rewrite(packs: small) { _ in true }
                } catch {
                    switch error {
                    case StoreError.corruptObject(_, _, let pack) where small.contains(pack), StoreError.corruptPack(let pack, _) where small.contains(pack):
                        small.remove(pack)
                    default:
                        throw error
                    }
                }
            }
        }
    }
}
