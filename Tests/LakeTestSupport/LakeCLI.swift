import Foundation

/// Runs the built `lake` binary, as a user would.
public enum LakeCLI {
    /// The binary under test: `$LAKE_BIN`, else `lake` beside the test bundle.
    public static var binary: String {
        if let env = ProcessInfo.processInfo.environment["LAKE_BIN"] { return env }
        return Bundle.main.bundleURL.appendingPathComponent("lake").path
    }

    public struct Result {
        public var status: Int32
        public var stdoutData: Data
        public var stderrData: Data
        /// Decoded when asked: decoding megabytes of binary output is slow in debug builds.
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    }

    /// Runs `lake args…` in `cwd` and waits for it.
    /// `prefix` runs the binary under another program (`setpriv …`); with `replacingBinary`,
    /// `prefix` runs alone with `args` (which then name the binary themselves).
    @discardableResult
    public static func run(_ args: [String], cwd: String, environment: [String: String] = [:], prefix: [String] = [],
                           replacingBinary: Bool = false) throws -> Result {
        let process = try start(args, cwd: cwd, environment: environment, prefix: prefix, replacingBinary: replacingBinary)
        return process.wait()
    }

    /// A running `lake` process.
    public final class Running {
        public let process: Process
        let out: Pipe
        let err: Pipe
        var outData = Data()
        var errData = Data()
        let group = DispatchGroup()

        init(process: Process, out: Pipe, err: Pipe) {
            (self.process, self.out, self.err) = (process, out, err)
            group.enter()
            DispatchQueue.global().async { [self] in outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
            group.enter()
            DispatchQueue.global().async { [self] in errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        }

        public func wait() -> Result {
            process.waitUntilExit()
            group.wait()
            return Result(status: process.terminationStatus, stdoutData: outData, stderrData: errData)
        }

        public func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    public static func start(_ args: [String], cwd: String, environment: [String: String] = [:], prefix: [String] = [],
                             replacingBinary: Bool = false) throws -> Running {
        let process = Process()
        if prefix.isEmpty {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: prefix[0])
            process.arguments = Array(prefix.dropFirst()) + (replacingBinary ? [] : [binary]) + args
        }
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LAKE_DIR")
        env["LAKE_ACTOR"] = "tester"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, out: out, err: err)
    }

    /// Parses a JSON document printed by `--json`.
    public static func json(_ result: Result) -> Any? {
        try? JSONSerialization.jsonObject(with: result.stdoutData)
    }
}
