import Foundation
import LakeCore

/// Who is acting, for the ref log: `user@host`.
public enum Actor {
    public static var host: String {
        var buf = [CChar](repeating: 0, count: 256)
        return gethostname(&buf, buf.count) == 0 ? String(cString: buf) : "unknown-host"
    }

    /// `$LAKE_ACTOR` as given (for CI jobs and shared accounts), else `user@host`.
    public static var current: String {
        if let actor = Environment.value("LAKE_ACTOR"), !actor.isEmpty { return actor }
        let account = getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } }
        let user = [Environment.value("USER"), Environment.value("LOGNAME"), account].compactMap { $0 }.first { !$0.isEmpty }
        return "\(user ?? "uid\(getuid())")@\(host)"
    }
}
