import GRDB
import LakeCore

/// Errors of the catalog.
public enum CatalogError: LakeFailure {
    case newerSchema(path: String, unknown: [String])
    case datasetNotFound(String)
    case versionNotFound(dataset: String, version: Int, latest: Int?)
    case refNotFound(String)
    case refHistoryTooShort(ref: String, asked: Int, moves: Int)
    case noPreviousTarget(String)
    case kindMismatch(dataset: String, existing: String, given: String)
    case refMoved(ref: String, expected: String, actual: String?, by: String?, at: String?)
    case database(DatabaseError)
    case journalDamaged(path: String, offset: Int64, problem: String)
    case snapshotNotCatalogued(String)
    case journalShort(path: String, length: Int64, applied: Int64)
    /// Records from a remote contradict this lake; nothing was merged.
    case mergeConflicts([String])

    public var category: ErrorCategory {
        switch self {
        case .newerSchema: return .failure
        case .datasetNotFound, .versionNotFound, .refNotFound, .refHistoryTooShort, .noPreviousTarget: return .notFound
        case .kindMismatch: return .usage
        case .refMoved, .mergeConflicts: return .conflict
        case .database(let e): return e.resultCode == .SQLITE_CORRUPT ? .corruption : .failure
        case .journalDamaged, .journalShort: return .corruption
        case .snapshotNotCatalogued: return .notFound
        }
    }

    public var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            return "catalog \(path) has a newer schema than this lake binary knows (migrations \(unknown.joined(separator: ", "))); use a newer lake binary"
        case .datasetNotFound(let name):
            return "no dataset '\(name)'; 'lake ls' lists the datasets"
        case .versionNotFound(let dataset, let version, let latest):
            let have = latest.map { "it has versions 1 to \($0)" } ?? "it has no versions"
            return "dataset '\(dataset)' has no version \(version): \(have)"
        case .refNotFound(let name):
            return "no ref '\(name)'; 'lake refs' lists the refs"
        case .refHistoryTooShort(let ref, let asked, let moves):
            return "ref '\(ref)' has moved \(moves) time\(moves == 1 ? "" : "s"), so '\(ref)@{\(asked)}' does not exist; use @{0} to @{\(max(0, moves - 1))}"
        case .noPreviousTarget(let ref):
            return "ref '\(ref)' has no previous target to roll back to: its last move created it"
        case .kindMismatch(let dataset, let existing, let given):
            return "dataset '\(dataset)' is of kind \(existing), not \(given); use kind \(existing) or another dataset"
        case .refMoved(let ref, let expected, let actual, let by, let at):
            let now = actual.map { "points at \($0)" + (by.map { " (moved by \($0) at \(at ?? "?"))" } ?? "") } ?? "does not exist"
            return "ref '\(ref)' \(now), not at the expected \(expected); nothing was changed. Look at 'lake log \(ref)' and retry with the current target"
        case .journalShort(let path, let length, let applied):
            return "the journal \(path) has \(length) bytes but the catalog has applied \(applied): it was truncated or replaced; restore it from a backup, or rebuild the catalog from it with 'lake fsck --rebuild-catalog'"
        case .mergeConflicts(let conflicts):
            return "the remote and this lake disagree, so the catalog took nothing from it:\n  " + conflicts.joined(separator: "\n  ")
                + "\nTwo lakes made different versions under one number, or moved a ref apart; pull before committing to a shared dataset, and move the ref again with 'lake promote' to settle it"
        case .snapshotNotCatalogued(let id):
            return "snapshot \(id) is not in the catalog; commit it to a dataset first"
        case .journalDamaged(let path, let offset, let problem):
            return "the journal \(path) is damaged at byte \(offset): \(problem); restore it from a backup"
        case .database(let e):
            return "catalog error: \(e.message ?? "\(e.resultCode)") (SQLite code \(e.extendedResultCode.rawValue))"
        }
    }

    /// Rewraps GRDB's errors so that every catalog failure has a category.
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as DatabaseError {
            throw CatalogError.database(e)
        }
    }
}
