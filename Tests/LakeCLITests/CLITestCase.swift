import Foundation
import LakeTestSupport

/// A temp directory with a lake in it, and `lake` run there.
final class CLIWorkspace {
    let dir = TempDirectory("lake-cli")

    init(initialize: Bool = true) throws {
        if initialize {
            let r = try lake("init")
            precondition(r.status == 0, r.stderr)
        }
    }

    var path: String { dir.path }

    @discardableResult
    func lake(_ args: String..., environment: [String: String] = [:]) throws -> LakeCLI.Result {
        try LakeCLI.run(args, cwd: dir.path, environment: environment)
    }

    @discardableResult
    func lake(_ args: [String], environment: [String: String] = [:], prefix: [String] = []) throws -> LakeCLI.Result {
        try LakeCLI.run(args, cwd: dir.path, environment: environment, prefix: prefix)
    }

    /// Runs a shell script in the workspace (making test data with gzip, ln, touch).
    @discardableResult
    func sh(_ script: String) throws -> LakeCLI.Result {
        try LakeCLI.run(["-c", script], cwd: dir.path, prefix: ["/bin/sh"], replacingBinary: true)
    }

    /// A run directory like the seeds' `runs/passX_*`: a score CSV, ok/bad JSONL logs.
    func makeRun(_ name: String, rows: Int, seed: UInt64 = 1) {
        var csv = "word_id,word,rarity_level\n"
        for i in 0 ..< rows { csv += "\(i),w\(i),L\(i % 5)\n" }
        dir.write("\(name)/scores.csv", csv)
        dir.write("\(name)/ok.jsonl", (0 ..< rows).map { "{\"id\":\($0),\"seed\":\(seed)}\n" }.joined())
        dir.write("\(name)/bad.jsonl", "")
    }
}
