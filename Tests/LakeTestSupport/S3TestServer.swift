import Foundation

/// A throwaway S3 server for tests, from scripts/s3-server.sh (docs/s3-servers.md): Ceph RGW,
/// which checks signatures and conditional writes as S3 does, or moto, which checks neither.
///
/// scripts/test.sh starts both and passes them in LAKE_TEST_RGW_ENDPOINT, LAKE_TEST_RGW_ACCESS_KEY,
/// LAKE_TEST_RGW_SECRET_KEY and LAKE_TEST_MOTO_ENDPOINT, LAKE_TEST_MOTO_ACCESS_KEY,
/// LAKE_TEST_MOTO_SECRET_KEY. Without them (`swift test` run directly) the first call in a test
/// process starts the server, and the process's exit stops it. There is never a stand-in: a server
/// that cannot be had is an error.
public struct S3TestServer: Sendable {
    /// "radosgw" or "moto".
    public let name: String
    /// `http://127.0.0.1:PORT`, path-style.
    public let endpoint: String
    public let accessKey: String
    public let secretKey: String

    public static func radosgw() throws -> S3TestServer { try radosgwServer.get() }
    public static func moto() throws -> S3TestServer { try motoServer.get() }

    // Found or started once per process (a static let is initialised once, thread-safely);
    // a failed start is not retried: every test that needs the server gets its error.
    private static let radosgwServer = Result<S3TestServer, Error> { try locate("radosgw", prefix: "LAKE_TEST_RGW") }
    private static let motoServer = Result<S3TestServer, Error> { try locate("moto", prefix: "LAKE_TEST_MOTO") }

    /// Creates a fresh bucket with a unique name (`lake-test-` and 20 random hex digits) and returns its name.
    public func makeBucket() throws -> String {
        let bucket = "lake-test-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let (status, body) = try request(method: "PUT", path: "/" + bucket)
        guard status == 200 else {
            throw S3TestServerError("\(name): PUT \(endpoint)/\(bucket) answered \(status): \(String(decoding: body, as: UTF8.self))")
        }
        return bucket
    }

    /// Environment for a `lake` child process: the keys and region (the endpoint is the caller's to pass).
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey, "AWS_DEFAULT_REGION": "us-east-1"]
    }

    /// A raw SigV4-signed request with curl, for tests that read or tamper with the remote.
    /// `path` is already percent-encoded, path-style: "/bucket" or "/bucket/prefix/objects/ab"
    /// (a query, if any, sorted and encoded: see docs/s3-servers.md). Returns the HTTP status and
    /// the body; for "HEAD", the body is the response's header lines.
    public func request(method: String, path: String, body: Data? = nil) throws -> (status: Int, body: Data) {
        let scratch = FileManager.default.temporaryDirectory.path + "/lake-s3-request-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // -q first: no ~/.curlrc. --noproxy: a proxy in the environment must not see 127.0.0.1.
        // x-amz-content-sha256 is required by RGW; the content type keeps moto from reading a
        // body as form fields (docs/s3-servers.md). The body goes to a file, the status to stdout.
        var args = ["-q", "-sS", "--noproxy", "*", "--max-time", "120", "-o", scratch + "/out", "-w", "%{http_code}",
                    "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(accessKey):\(secretKey)",
                    "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-H", "Content-Type: application/octet-stream"]
        // `-X HEAD` would wait for a body that never comes.
        args += method == "HEAD" ? ["--head"] : ["-X", method]
        if let body {
            try body.write(to: URL(fileURLWithPath: scratch + "/in"))
            args += ["--data-binary", "@" + scratch + "/in"]
        }
        args.append(endpoint + path)
        let curl = try Self.run("/usr/bin/curl", args)
        let code = String(decoding: curl.stdout, as: UTF8.self)
        guard curl.status == 0, let status = Int(code), status != 0 else {
            throw S3TestServerError("\(name): curl \(method) \(endpoint + path) failed (exit \(curl.status), status \(code)): "
                                    + String(decoding: curl.stderr, as: UTF8.self))
        }
        // curl writes no file for an empty body.
        let data = FileManager.default.contents(atPath: scratch + "/out") ?? Data()
        return (status, data)
    }

    // MARK: - Finding or starting a server

    /// The server in `PREFIX_ENDPOINT`, `PREFIX_ACCESS_KEY` and `PREFIX_SECRET_KEY`, else one started here.
    static func locate(_ name: String, prefix: String) throws -> S3TestServer {
        let env = ProcessInfo.processInfo.environment
        let names = ["ENDPOINT", "ACCESS_KEY", "SECRET_KEY"].map { prefix + "_" + $0 }
        let values = names.compactMap { env[$0].flatMap { $0.isEmpty ? nil : $0 } }
        if values.count == names.count {
            return S3TestServer(name: name, endpoint: values[0], accessKey: values[1], secretKey: values[2])
        }
        guard values.isEmpty else {
            throw S3TestServerError("set all of \(names.joined(separator: ", ")) or none of them")
        }
        return try start(name, prefix: prefix)
    }

    /// The repository, from this file's path (Tests/LakeTestSupport/S3TestServer.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Runs `bash scripts/s3-server.sh start NAME DIR` (bounded: its own waits, and timeout
    /// around it all) and reads its `export` lines.
    static func start(_ name: String, prefix: String) throws -> S3TestServer {
        let script = repository + "/scripts/s3-server.sh"
        let byHand = """
            To start one by hand: eval "$(bash scripts/s3-server.sh start \(name) /tmp/lake-\(name))" \
            && export \(prefix)_ENDPOINT=$LAKE_S3_ENDPOINT \(prefix)_ACCESS_KEY=$AWS_ACCESS_KEY_ID \
            \(prefix)_SECRET_KEY=$AWS_SECRET_ACCESS_KEY, then swift test, then \
            bash scripts/s3-server.sh stop /tmp/lake-\(name). Or run scripts/test.sh, which does all that.
            """
        guard FileManager.default.fileExists(atPath: script) else {
            throw S3TestServerError("cannot start \(name): no \(script). \(byHand)")
        }
        // Under /tmp, not $TMPDIR: the path must be short (Ceph's admin sockets) and free of spaces.
        let dir = "/tmp/lake-test-s3-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        Started.shared.add(dir, script: script)
        // The servers must not inherit Foundation's descriptors beyond 0-2: Process learns that its
        // child exited when the last copy of one of them closes, so waitUntilExit would wait for the
        // servers. The bash in front closes them, then runs the start. As in scripts/test.sh, one
        // start at a time (flock; -o: the servers must not hold the lock), as both may run apt-get.
        let closeAndRun = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -le 2 ] || exec {fd}>&-; done; exec "$@""#
        let run = try Self.run("/bin/bash", ["-c", closeAndRun, "bash", "/usr/bin/timeout", "-k", "10", "900",
                                             "/usr/bin/flock", "-o", script, "/bin/bash", script, "start", name, dir],
                               cwd: repository)
        var exports: [String: String] = [:]
        for line in String(decoding: run.stdout, as: UTF8.self).split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let eq = assignment.firstIndex(of: "=") else { continue }
            exports[String(assignment[..<eq])] = String(assignment[assignment.index(after: eq)...])
        }
        guard run.status == 0, let endpoint = exports["LAKE_S3_ENDPOINT"], let access = exports["AWS_ACCESS_KEY_ID"],
              let secret = exports["AWS_SECRET_ACCESS_KEY"] else {
            // The script's own messages (the error among them), then the end of the logs it prints on failure.
            let lines = String(decoding: run.stderr, as: UTF8.self).split(separator: "\n")
            let messages = (lines.filter { $0.hasPrefix("s3-server:") } + lines.filter { !$0.hasPrefix("s3-server:") }.suffix(40))
                .joined(separator: "\n")
            throw S3TestServerError("""
                could not start \(name): `bash scripts/s3-server.sh start \(name) \(dir)` exited \(run.status)\
                \(run.status == 124 ? " (timed out after 900 s)" : ""); its last messages:
                \(messages)
                \(byHand)
                """)
        }
        return S3TestServer(name: name, endpoint: endpoint, accessKey: access, secretKey: secret)
    }

    /// The servers this process started, stopped at its exit.
    final class Started: @unchecked Sendable {
        static let shared = Started()
        private let lock = NSLock()
        private var dirs: [String] = []
        private var script = ""
        private var registered = false
        private var watchers: [Process] = []

        /// Records DIR before its start, so that exit stops whatever the start left running.
        /// Also starts a watcher that stops the server when this process is gone without running
        /// atexit handlers (a crash, a signal).
        func add(_ dir: String, script: String) {
            lock.lock()
            dirs.append(dir)
            self.script = script
            if !registered {
                registered = true
                atexit { S3TestServer.Started.shared.stopAll() }
            }
            lock.unlock()
            let watcher = Process()
            watcher.executableURL = URL(fileURLWithPath: "/bin/bash")
            watcher.arguments = ["-c", """
                trap '' INT HUP; while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
                [ ! -d "$1" ] || bash "$0" stop "$1"; rm -rf "$1"
                """, script, dir]
            watcher.standardInput = FileHandle.nullDevice
            watcher.standardOutput = FileHandle.nullDevice
            watcher.standardError = FileHandle.nullDevice
            try? S3TestServer.launch(watcher)
            lock.lock()
            watchers.append(watcher)
            lock.unlock()
        }

        /// Stops the servers, all at once (each takes up to 10 s), with `bash scripts/s3-server.sh
        /// stop DIR` (only the PIDs its start wrote), and removes the dirs. Runs from atexit, so
        /// with posix_spawn rather than Process.
        func stopAll() {
            lock.lock()
            let (dirs, script) = (self.dirs, self.script)
            self.dirs = []
            lock.unlock()
            let env = ProcessInfo.processInfo.environment.map { strdup("\($0)=\($1)") } + [nil]
            defer { env.forEach { free($0) } }
            var pids: [pid_t] = []
            for dir in dirs {
                let args = ["/bin/bash", "-c", #"bash "$0" stop "$1" >/dev/null 2>&1; rm -rf "$1""#, script, dir]
                let argv = args.map { strdup($0) } + [nil]
                defer { argv.forEach { free($0) } }
                var pid = pid_t()
                if posix_spawn(&pid, "/bin/bash", nil, nil, argv, env) == 0 { pids.append(pid) }
            }
            for pid in pids {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            }
        }
    }

    // MARK: - Child processes

    /// Starts `process` with no signal blocked. A child inherits the signal mask of the thread that
    /// starts it, and the threads of Dispatch's pool (where tests may run) block most signals: moto
    /// would then ignore the SIGTERM of `stop`, which kills it only 10 s later.
    static func launch(_ process: Process) throws {
        var none = sigset_t(), old = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        try process.run()
    }

    /// Runs a program to its end, reading its output and errors at the same time.
    static func run(_ executable: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try launch(process)
        final class Box: @unchecked Sendable { var data = Data() }
        let errData = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, outData, errData.data)
    }
}

/// Why a test server could not be had or a request could not be made.
public struct S3TestServerError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
