import LakeStore

extension Lake {
    /// Writes the snapshot `target` names into `directory` (new or empty). An archived snapshot
    /// whose objects gc dropped is restored first when `restore` is set, else refused with
    /// the archive named.
    public func checkout(_ target: String, into directory: String, mode: CheckoutMode, restore: Bool = false,
                         progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> CheckoutReport {
        let (id, _) = try resolve(target)
        return try whenArchived(id, target: target, restore: restore) {
            try Checkout.run(manifest(id), store: store, into: directory, mode: mode, progress: progress)
        }
    }
}
