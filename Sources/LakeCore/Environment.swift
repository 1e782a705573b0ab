import Foundation

/// The process's environment variables, one at a time. `ProcessInfo.environment` copies all of
/// them into a new dictionary at every call: 500,000 instructions, paid three times by a
/// command that only wanted `$LAKE_DIR` and `$LAKE_LOCK_TIMEOUT`.
public enum Environment {
    /// The value of `name`, or nil when it is not set.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// How many threads the work of a command spreads over: the cores this process may use
    /// (Foundation's count, which honours a cgroup's CPU quota). Asked once: Foundation reads
    /// the cgroup files again at every call, 450,000 instructions.
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
}
