import Foundation

/// The class of a failure; the CLI maps each to one exit code (docs/cli.md).
public enum ErrorCategory: Int32, Sendable {
    /// Something went wrong that is none of the below (exit 1).
    case failure = 1
    /// The caller's words are wrong: a bad name, option or value (exit 2).
    case usage = 2
    /// A gate did not hold (exit 3).
    case gateFailed = 3
    /// The lake, a dataset, ref, snapshot or path does not exist (exit 4).
    case notFound = 4
    /// An expectation or a lock was not met: a ref moved, a lock was held too long (exit 5).
    case conflict = 5
    /// Stored bytes do not match their names (exit 6).
    case corruption = 6
}

/// An error whose category decides the exit code. Each module has one error type conforming.
public protocol LakeFailure: Error, CustomStringConvertible, Sendable {
    var category: ErrorCategory { get }
}

/// Errors about identifiers and names.
public enum CoreError: LakeFailure, Equatable {
    case invalidObjectID(String)
    case invalidName(kind: String, name: String, problem: String, allowed: String)
    case invalidKind(String, allowed: [String])

    public var category: ErrorCategory { .usage }

    public var description: String {
        switch self {
        case .invalidObjectID(let text):
            return "'\(text)' is not an object ID: write sha256: followed by 64 lowercase hex digits"
        case .invalidName(let kind, let name, let problem, let allowed):
            return "invalid \(kind) name '\(name)': \(problem); use \(allowed)"
        case .invalidKind(let text, let allowed):
            return "unknown kind '\(text)': use one of \(allowed.joined(separator: ", "))"
        }
    }
}

/// A POSIX call that failed, with the path it was about.
public struct SystemError: LakeFailure {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var category: ErrorCategory { code == ENOENT ? .notFound : .failure }

    public var description: String {
        let reason = String(cString: strerror(code))
        switch code {
        case EACCES, EPERM, EROFS:
            return "cannot \(operation) \(path): \(reason); check the permissions of the lake and the path, or use a writable lake"
        case ENOSPC:
            return "cannot \(operation) \(path): \(reason); free space and retry (nothing was recorded)"
        default:
            return "cannot \(operation) \(path): \(reason)"
        }
    }
}
