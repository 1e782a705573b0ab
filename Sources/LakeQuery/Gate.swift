import LakeCatalog
import LakeCore
import LakeKit

extension QueryEngine {
    /// Evaluates gates for moving `ref` to `candidate`: each must return exactly one truthy
    /// value, with `:candidate` and `:current` bound to the snapshot ids (`:current` is empty
    /// for a new ref). Stops at the first that fails and throws `QueryError.gateFailed`.
    public func evaluate(gates: [String], candidate: SnapshotID, current: SnapshotID?, params: [String: String] = [:]) throws -> [GateResult] {
        var outcomes = [GateResult]()
        var bound = params
        bound["candidate"] = candidate.description
        bound["current"] = current?.description ?? ""
        for gate in gates {
            let result = try query(gate, params: bound)
            guard result.rows.count == 1, result.columns.count == 1 else {
                throw QueryError.notOneValue(gate: gate, rows: result.rows.count, columns: result.columns.count)
            }
            let value = result.rows[0][0]
            guard value.isTruthy else { throw QueryError.gateFailed(gate: gate, value: value.text) }
            outcomes.append(GateResult(gate: gate, value: value.text))
        }
        return outcomes
    }
}
