import Foundation
import LakeCore

/// The lake's writer lock (`.lake/lock`): held around every catalog write, so that concurrent
/// lake commands wait for each other. The holder writes who it is into the file, so that a
/// waiter that gives up can name it.
public struct WriterLock {
    public let lakeDir: String
    public let timeout: Double
    public var path: String { lakeDir + "/lock" }

    /// The default wait, overridden by `$LAKE_LOCK_TIMEOUT` (seconds).
    public static var defaultTimeout: Double {
        ProcessInfo.processInfo.environment["LAKE_LOCK_TIMEOUT"].flatMap(Double.init) ?? 60
    }

    public init(lakeDir: String, timeout: Double = WriterLock.defaultTimeout) {
        self.lakeDir = lakeDir
        self.timeout = timeout
    }

    /// Runs `body` holding the lock if nobody holds it now; returns nil without waiting
    /// otherwise.
    public func ifFree<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try WriterLock(lakeDir: lakeDir, timeout: 0).withLock(body)
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
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw SystemError("lock", path: path) }
            if Date() >= deadline {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                throw LakeError.lockTimeout(path: path, seconds: timeout, holder: holder.flatMap { $0.isEmpty ? nil : $0 } ?? "an unknown process")
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        defer {
            ftruncate(fd, 0)  // so that a later waiter never names a holder that has left
            flock(fd, LOCK_UN)
        }
        let me = "pid \(getpid()) on \(Actor.host) (\(CommandLine.arguments.joined(separator: " "))) since \(Timestamp.now())\n"
        ftruncate(fd, 0)
        _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
        return try body()
    }
}
