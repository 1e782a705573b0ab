import LakeCatalog
import LakeCore

extension Lake {
    /// Moves (or creates) `ref` to the snapshot `target` names. With `expect` (a TARGET or
    /// `none`), a ref that is not there any more is a conflict and nothing changes. Returns nil
    /// when the ref already pointed at the target. `publish` gets the move before it is
    /// committed (`lake promote --remote`); when it throws, nothing moves.
    public func promote(_ ref: RefName, to target: String, expect: String?, message: String?, gates: [GateResult]? = nil,
                        publish: ((JournalRecord.RefMoveEntry) throws -> Void)? = nil) throws -> RefMove? {
        let (id, _) = try resolve(target)
        let expectation: RefExpectation? = try expect.map { $0 == "none" ? .absent : .at(try resolve($0).0) }
        // Under the gc lock: a ref moved to an archived snapshot while gc marks would be missed.
        return try inFlight {
            try writerLock.withLock {
                let move = try catalog.moveRef(ref, to: id, expect: expectation, action: "promote", actor: Actor.current, message: message, gates: gates,
                                                publish: publish)
                _ = try updateBindings(of: ref, to: id)
                return move
            }
        }
    }

    /// Moves `ref` back to the target it had before its last move; logged as a move.
    public func rollback(_ ref: RefName, message: String?) throws -> RefMove {
        try inFlight {
            try writerLock.withLock {
                let move = try catalog.rollbackRef(ref, actor: Actor.current, message: message)
                _ = try updateBindings(of: ref, to: SnapshotID(parsing: move.to))
                return move
            }
        }
    }
}
