import LakeStore

extension Lake {
    /// Writes the snapshot `target` names into `directory` (new or empty).
    public func checkout(_ target: String, into directory: String, mode: CheckoutMode) throws -> CheckoutReport {
        let (id, _) = try resolve(target)
        return try Checkout.run(manifest(id), store: store, into: directory, mode: mode)
    }
}
