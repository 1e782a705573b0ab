import LakeCore

/// Errors of the lake as a whole: finding it, locking it, resolving targets.
public enum LakeError: LakeFailure {
    case notALake(searched: String)
    case newerFormat(path: String, found: String)
    case unreadableFormat(path: String, content: String)
    case lockTimeout(path: String, seconds: Double, holder: String)
    case ambiguousTarget(String, candidates: [String])
    case targetNotFound(String)
    case invalidTarget(String, reason: String)
    case pathNotInSnapshot(path: String, snapshot: String)
    case isADirectory(path: String, snapshot: String)
    case snapshotMissing(String)
    case catalogMissing(String)
    case invalidPlan(String)
    case notResumable(String, reason: String)
    case runNotFound(String)
    case archived(String, archive: String)
    case ledgerNotAppended(dataset: String, version: Int, path: String, problem: String)
    case bindingPathTaken(String)
    case notBound(String)
    case invalidBindings(path: String, problem: String)
    case bindingNotUpdated(ref: String, path: String, problem: String)

    public var category: ErrorCategory {
        switch self {
        case .notALake, .targetNotFound, .pathNotInSnapshot: return .notFound
        case .snapshotMissing, .catalogMissing: return .corruption
        case .newerFormat, .unreadableFormat: return .failure
        case .lockTimeout, .ledgerNotAppended, .bindingPathTaken: return .conflict
        case .notBound: return .notFound
        case .invalidBindings: return .corruption
        case .bindingNotUpdated: return .failure
        case .ambiguousTarget, .invalidTarget, .isADirectory, .invalidPlan: return .usage
        case .notResumable, .runNotFound, .archived: return .notFound
        }
    }

    public var description: String {
        switch self {
        case .notALake(let searched):
            return "no lake found (\(searched)); run 'lake init' to make one, or name it with --lake PATH or $LAKE_DIR"
        case .newerFormat(let path, let found):
            return "the lake at \(path) has format '\(found)', newer than this lake binary reads ('\(LakeFormat.current)'); use a newer lake binary"
        case .unreadableFormat(let path, let content):
            return "\(path) does not name a lake format ('\(content)'); it is not a lake this binary can read"
        case .lockTimeout(let path, let seconds, let holder):
            return "the lake is busy: waited \(Int(seconds)) s for \(path), held by \(holder); retry when it is done, or raise LAKE_LOCK_TIMEOUT"
        case .ambiguousTarget(let text, let candidates):
            return "'\(text)' is ambiguous: it matches \(candidates.joined(separator: ", ")); give more hex digits"
        case .targetNotFound(let text):
            return "no ref, dataset or snapshot named '\(text)'; 'lake refs' and 'lake ls' list them"
        case .invalidTarget(let text, let reason):
            return "'\(text)' is not a target: \(reason). Write sha256:<hex>, a hex prefix of 8+ digits, DATASET@N, DATASET@latest, REF or REF@{N}"
        case .pathNotInSnapshot(let path, let snapshot):
            return "no file '\(path)' in snapshot \(snapshot); 'lake show \(snapshot)' lists its files"
        case .isADirectory(let path, let snapshot):
            return "'\(path)' is a directory in snapshot \(snapshot), not a file; 'lake show \(snapshot)' lists its files"
        case .invalidPlan(let problem):
            return "cannot run: \(problem)"
        case .ledgerNotAppended(let dataset, let version, let path, let problem):
            return "ledger '\(dataset)' only grows: against version \(version), '\(path)' \(problem); nothing was recorded. Commit the whole log (a resumed job must append), or use another dataset"
        case .archived(let target, let archive):
            return "'\(target)' is archived in \(archive) and gc dropped its objects; run 'lake restore \(target)' or add --restore"
        case .bindingPathTaken(let path):
            return "\(path) exists and is not a link lake made; lake never replaces what it did not write. Move it aside (commit it first if it holds data), then bind again"
        case .notBound(let path):
            return "\(path) is not bound to a ref; 'lake ref bindings' lists the bound paths"
        case .invalidBindings(let path, let problem):
            return "\(path) is not a valid bindings file (\(problem)); fix or remove it, then bind the paths again with 'lake ref bind'"
        case .bindingNotUpdated(let ref, let path, let problem):
            return "ref '\(ref)' moved, but its bound path \(path) could not be updated: \(problem). Fix the cause, then run 'lake ref bind \(ref) \(path)'"
        case .runNotFound(let id):
            return "no run '\(id)'; 'lake runs' lists the runs"
        case .notResumable(let id, let reason):
            return "cannot resume \(id): \(reason); 'lake runs --status failed' lists the failed runs"
        case .catalogMissing(let path):
            return "the lake's catalog \(path) is missing; run 'lake fsck --rebuild-catalog' to rebuild it from the journal and the manifests"
        case .snapshotMissing(let id):
            return "snapshot \(id) is in the catalog but its manifest object is missing; run 'lake fsck'"
        }
    }
}
