import CLakeSys
import Foundation
import LakeCore

/// How a child process ended.
public struct ChildExit: Sendable {
    /// The exit status, or 128 + the signal that ended it.
    public var status: Int32
    /// Peak resident memory of the child, in KiB (from wait4's rusage).
    public var peakRssKb: Int64
    public var signal: Int32?
}

/// Runs a command with its output streamed to sinks and copied to log files; the one place
/// Lake starts other programs.
enum ChildProcess {
    /// Runs `argv` in `cwd`; every chunk of standard output and error goes to its log file and
    /// to its sink, as it arrives.
    static func run(_ argv: [String], cwd: String, environment: [String: String], stdoutLog: String, stderrLog: String,
                    stdout: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
                    stderr: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws -> ChildExit {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SystemError("create pipe", path: cwd) }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let env = environment.map { "\($0.key)=\($0.value)" }.sorted()
        var pid: pid_t = 0
        let rc = withCStrings(argv) { args in
            withCStrings(env) { envp in lake_spawn(args, envp, cwd, outPipe[1], errPipe[1], &pid) }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SystemError("run '\(argv.first ?? "")' (is it installed and on PATH?) in", path: cwd, code: rc)
        }
        let group = DispatchGroup()
        for (fd, log, sink) in [(outPipe[0], stdoutLog, stdout), (errPipe[0], stderrLog, stderr)] {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave(); close(fd) }
                let logFD = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                defer { if logFD >= 0 { close(logFD) } }
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    buffer.withUnsafeBytes { chunk in
                        let part = UnsafeRawBufferPointer(rebasing: chunk[0 ..< n])
                        if logFD >= 0 { _ = write(logFD, part.baseAddress, n) }
                        sink(part)
                    }
                }
            }
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw SystemError("wait for", path: argv.first ?? "") }
        }
        group.wait()
        let signaled = status & 0x7F != 0 && status & 0x7F != 0x7F
        let signal = signaled ? status & 0x7F : nil
        let code = signal.map { 128 + $0 } ?? (status >> 8) & 0xFF
        return ChildExit(status: code, peakRssKb: Int64(usage.ru_maxrss), signal: signal)
    }

    /// Runs a short command and returns its standard output, or nil when it fails.
    static func capture(_ argv: [String], cwd: String) -> String? {
        let dir = FileManager.default.temporaryDirectory.path + "/lake-capture-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let exit = try? run(argv, cwd: cwd, environment: ProcessInfo.processInfo.environment,
                                  stdoutLog: dir + "/out", stderrLog: dir + "/err", stdout: { _ in }, stderr: { _ in }),
              exit.status == 0 else { return nil }
        return try? String(contentsOfFile: dir + "/out", encoding: .utf8)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
