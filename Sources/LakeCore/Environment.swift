import Foundation

/// The process's environment variables, one at a time. `ProcessInfo.environment` copies all of
/// them into a new dictionary at every call: 500,000 instructions, paid three times by a
/// command that only wanted `$LAKE_DIR` and `$LAKE_LOCK_TIMEOUT`.
public enum Environment {
    /// The value of `name`, or nil when it is not set.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
