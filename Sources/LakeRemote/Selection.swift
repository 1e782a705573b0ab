import LakeCatalog

/// What a push or pull carries: everything, or some refs and datasets with what they were
/// made from.
public enum Selection: Sendable {
    case all
    /// Ref and dataset names. A ref brings the datasets holding the snapshots it pointed at;
    /// a dataset brings all its versions and archives, the runs that made them, and (again)
    /// the datasets those runs read, so lineage arrives whole.
    case names([String])

    /// The records of `records` this selection carries, in their order.
    func filter(_ records: [JournalRecord]) throws -> [JournalRecord] {
        guard case .names(let names) = self else { return records }
        var datasetsHolding = [String: Set<String>]()
        var refTargets = [String: Set<String>]()
        var allDatasets = Set<String>()
        for record in records {
            for v in record.versions {
                datasetsHolding[v.snapshot, default: []].insert(v.dataset)
                allDatasets.insert(v.dataset)
            }
            if case .refMove(let m) = record { refTargets[m.ref, default: []].insert(m.to) }
        }
        var datasets = Set<String>(), refs = Set<String>()
        for name in names {
            if let targets = refTargets[name] {
                refs.insert(name)
                for t in targets { datasets.formUnion(datasetsHolding[t] ?? []) }
            } else if allDatasets.contains(name) {
                datasets.insert(name)
            } else {
                throw RemoteError.nothingToSelect(name)
            }
        }
        var grew = true
        while grew {
            grew = false
            for case .run(let r) in records where r.outputs.contains(where: { datasets.contains($0.dataset) }) {
                for input in r.inputs {
                    for d in datasetsHolding[input.snapshot] ?? [] where datasets.insert(d).inserted { grew = true }
                }
            }
        }
        return records.filter { record in
            switch record {
            case .version(let v): return datasets.contains(v.dataset)
            case .run(let r): return r.outputs.contains { datasets.contains($0.dataset) }
            case .archive(let a): return datasets.contains(a.dataset)
            case .refMove(let m): return refs.contains(m.ref)
            }
        }
    }

    /// The refs this selection moves, of those named in `records`.
    func refs(in records: [JournalRecord]) -> [String] {
        var seen = Set<String>(), out = [String]()
        for case .refMove(let m) in records where seen.insert(m.ref).inserted {
            if case .names(let names) = self, !names.contains(m.ref) { continue }
            out.append(m.ref)
        }
        return out
    }
}
