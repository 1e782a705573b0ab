import LakeCatalog
import LakeCore
import LakeKit

extension Remote {
    /// `lake promote --remote`: moves `ref` here and on the remote in one command. The target's
    /// datasets are pushed first; then, inside the local move's transaction, the remote ref is
    /// moved by compare-and-swap from where this lake has it. When another lake moved it
    /// first, nothing moves anywhere and the winner is named (exit 5).
    public func promote(_ lake: Lake, ref: RefName, to target: String, expect: String?, message: String?,
                        gates: [GateResult]?) throws -> RefMove? {
        let (id, _) = try lake.resolve(target)
        let datasets = Set(try lake.catalog.versions(holding: id).map(\.dataset))
        if !datasets.isEmpty { _ = try push(lake, selection: .names(datasets.sorted())) }
        let remote = try self.ref(ref.rawValue)
        let here = try lake.catalog.ref(ref)?.snapshot
        if let remote, remote.move.to != here { throw try movedOnRemote(ref.rawValue) }
        var published: JournalRecord.RefMoveEntry?
        // This lake's moves of the ref the remote's journal lacks go with the new one.
        let journaled = Set(try journal().joined().map(\.identity))
        var pending = [JournalRecord.RefMoveEntry]()
        for case .refMove(let m) in try lake.catalog.journalRecords() where m.ref == ref.rawValue && !journaled.contains(JournalRecord.refMove(m).identity) {
            pending.append(m)
        }
        let move = try lake.promote(ref, to: target, expect: expect ?? here ?? "none", message: message, gates: gates) { move in
            guard try self.swapRef(pending + [move], etag: remote?.etag) else { throw try self.movedOnRemote(ref.rawValue) }
            published = move
        }
        if let published {
            _ = try append((pending + [published]).map(JournalRecord.refMove))
        } else {
            // Already there here: make the remote agree.
            _ = try push(lake, selection: .names([ref.rawValue]))
        }
        return move
    }
}
