import LakeCore

/// Errors of the object store and snapshots.
public enum StoreError: LakeFailure, Equatable {
    case invalidManifest(String)
    case missingObject(ObjectID)
    case corruptObject(ObjectID, actual: ObjectID, location: String)
    case corruptPack(path: String, problem: String)
    case corruptSegments(path: String, problem: String)
    case unsupportedFile(path: String, type: String)
    case escapingSymlink(path: String, target: String)
    case invalidPathName(String)
    case sourceMissing(String)
    case checkoutDestinationNotEmpty(String)
    case sourceChanged(String)

    public var category: ErrorCategory {
        switch self {
        case .invalidManifest, .corruptObject, .corruptPack, .corruptSegments: return .corruption
        case .missingObject: return .corruption
        case .unsupportedFile, .escapingSymlink, .invalidPathName: return .usage
        case .sourceMissing: return .notFound
        case .checkoutDestinationNotEmpty: return .conflict
        case .sourceChanged: return .conflict
        }
    }

    public var description: String {
        switch self {
        case .invalidManifest(let problem):
            return "invalid manifest: \(problem); run 'lake fsck' to list what else is damaged"
        case .missingObject(let id):
            return "object \(id) is missing from the store; run 'lake fsck', then restore it from an archive or a remote"
        case .corruptObject(let id, let actual, let location):
            return "object \(id) is corrupt: its bytes in \(location) hash to \(actual); it was not served. Run 'lake fsck' and restore it from an archive or a remote"
        case .corruptSegments(let path, let problem):
            return "the segment list \(path) is damaged: \(problem); 'lake fsck' lists what it holds, and a restore from an archive brings the object back"
        case .corruptPack(let path, let problem):
            return "pack \(path) is damaged: \(problem); run 'lake fsck'"
        case .unsupportedFile(let path, let type):
            return "cannot snapshot '\(path)': it is a \(type); only regular files, directories and symbolic links inside the tree can be kept. Move it out of the tree and retry"
        case .escapingSymlink(let path, let target):
            return "cannot snapshot symbolic link '\(path)' -> '\(target)': it points outside the tree; replace it by the file it points to or remove it"
        case .invalidPathName(let path):
            return "cannot snapshot '\(path)': its name is not valid UTF-8; rename it"
        case .sourceMissing(let path):
            return "'\(path)' does not exist; give the path of a directory or file to commit"
        case .checkoutDestinationNotEmpty(let path):
            return "'\(path)' exists and is not empty; check out into a new or empty directory"
        case .sourceChanged(let path):
            return "'\(path)' changed while it was being read; retry when the writer is done"
        }
    }
}
