import Foundation
import LakeCore

/// A lock file of the lake, taken with flock so a dead holder never keeps it.
///
/// - The writer lock (`.lake/lock`) is held around every catalog write, so concurrent lake
///   commands wait for each other.
/// - The gc lock (`.lake/gc.lock`) is held shared by every command that writes objects
///   before it catalogues them or points a ref at a snapshot (commit, exec, archive, restore,
///   promote, rollback) and exclusively by gc, so gc never drops an object a command in
///   flight is about to name.
///
/// An exclusive holder writes who it is into the file, so that a waiter that gives up can name it.
public struct LakeLock {
    public let path: String
    public let shared: Bool
    public let timeout: Double

    /// The default wait, overridden by `$LAKE_LOCK_TIMEOUT` (seconds).
    public static var defaultTimeout: Double {
        Environment.value("LAKE_LOCK_TIMEOUT").flatMap(Double.init) ?? 60
    }

    public static func writer(_ lakeDir: String, timeout: Double = defaultTimeout) -> LakeLock {
        LakeLock(path: lakeDir + "/lock", shared: false, timeout: timeout)
    }

    public static func gc(_ lakeDir: String, shared: Bool, timeout: Double = defaultTimeout) -> LakeLock {
        LakeLock(path: lakeDir + "/gc.lock", shared: shared, timeout: timeout)
    }

    /// Runs `body` holding the lock if nobody holds it now; returns nil without waiting
    /// otherwise.
    public func ifFree<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try LakeLock(path: path, shared: shared, timeout: 0).withLock(body)
        } catch LakeError.lockTimeout {
            return nil
        }
    }

    /// Runs `body` holding the lock.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open lock", path: path) }
        defer { close(fd) }
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1000
        while flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw SystemError("lock", path: path) }
            if Date() >= deadline {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                let unnamed = shared || !path.hasSuffix("gc.lock") ? "a process that did not say who it is" : "commands in flight (they hold it shared)"
                throw LakeError.lockTimeout(path: path, seconds: timeout, holder: holder.flatMap { $0.isEmpty ? nil : $0 } ?? unnamed)
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        defer {
            if !shared { ftruncate(fd, 0) }  // so that a later waiter never names a holder that has left
            flock(fd, LOCK_UN)
        }
        if !shared {
            let me = "pid \(getpid()) on \(Actor.host) (\(CommandLine.arguments.joined(separator: " "))) since \(Timestamp.now())\n"
            ftruncate(fd, 0)
            _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
        }
        return try body()
    }
}
