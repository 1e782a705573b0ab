import LakeCore

/// Errors of archives: writing, verifying, restoring.
public enum ArchiveError: LakeFailure, Equatable {
    case compression(String)
    case truncated(path: String, entry: String?)
    case corrupt(path: String, entry: String?, problem: String)
    case unsafeEntry(path: String, entry: String, problem: String)
    case mismatch(path: String, entry: String, problem: String)
    /// An archive just written does not match its manifest: an object in the store is damaged.
    case writtenFromDamagedStore(path: String, entry: String, problem: String)
    case notArchived(String)

    public var category: ErrorCategory {
        switch self {
        case .compression: return .failure
        case .truncated, .corrupt, .unsafeEntry, .mismatch, .writtenFromDamagedStore: return .corruption
        case .notArchived: return .notFound
        }
    }

    public var description: String {
        switch self {
        case .compression(let problem):
            return "zstd failed: \(problem)"
        case .truncated(let path, let entry):
            return "archive \(path) is truncated\(entry.map { " in entry '\($0)'" } ?? ""); the snapshot was not restored from it"
        case .corrupt(let path, let entry, let problem):
            return "archive \(path) is damaged\(entry.map { " at entry '\($0)'" } ?? ""): \(problem); the snapshot was not restored from it"
        case .unsafeEntry(let path, let entry, let problem):
            return "archive \(path) holds an unsafe entry '\(entry)': \(problem); nothing was restored from it"
        case .mismatch(let path, let entry, let problem):
            return "archive \(path) does not match its manifest at '\(entry)': \(problem); the snapshot was not restored from it"
        case .writtenFromDamagedStore(let path, let entry, let problem):
            return "the archive written to \(path) does not match the snapshot at '\(entry)': \(problem); an object in the store is damaged, so the archive was deleted and nothing was recorded; run 'lake fsck' to list what is damaged"
        case .notArchived(let target):
            return "'\(target)' has no archive; 'lake archive \(target)' makes one"
        }
    }
}
