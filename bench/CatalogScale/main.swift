// lake-catalog-bench: how promote, log, lineage and query latencies grow with the catalog.
//
// Usage: lake-catalog-bench SCRATCH_DIR [--quick]
//
// Grows one lake's catalog through LakeCatalog's batch API (the path `lake commit` and
// `lake exec` take, without the file hashing) to 10k, 100k and 1M versions, a tenth of them
// made by runs chained 100 deep, and at each size times the library calls and the real
// `lake` commands (the binary beside this one) that users wait on. Prints a Markdown section
// for bench/RESULTS.md. The generated lake holds catalog records only: its snapshots' files
// were never written, so it is for timing, not for checkout.
import CLakeSys
import Foundation
import LakeCatalog
import LakeCore
import LakeKit
import LakeQuery
import LakeStore

struct Options {
    var scratch: String
    var scales: [Int]
    var repeats: Int

    init(_ args: [String]) {
        guard let dir = args.first(where: { !$0.hasPrefix("--") }) else {
            FileHandle.standardError.write(Data("usage: lake-catalog-bench SCRATCH_DIR [--quick]\n".utf8))
            exit(2)
        }
        scratch = dir
        let quick = args.contains("--quick")
        scales = quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000]
        repeats = quick ? 5 : 15
    }
}

/// Median, min and max of a set of timings, in milliseconds.
struct Sample {
    var values: [Double]
    var median: Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    var text: String {
        String(format: "%.2f (%.2f–%.2f)", median, values.min() ?? 0, values.max() ?? 0)
    }
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

/// Runs the lake binary to the end with its output discarded; returns wall time and peak RSS.
func runCLI(_ lake: String, _ args: [String]) -> (ms: Double, rssKb: Int) {
    let argv = [lake] + args
    let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
    let devNull = open("/dev/null", O_WRONLY)
    defer { close(devNull) }
    var pid: pid_t = 0
    var status: Int32 = 0
    var usage = rusage()
    let ms = milliseconds {
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        let rc = cArgs.map { UnsafePointer($0) }.withUnsafeBufferPointer { a in
            cEnv.map { UnsafePointer($0) }.withUnsafeBufferPointer { e in
                lake_spawn(a.baseAddress, e.baseAddress, FileManager.default.currentDirectoryPath, devNull, devNull, &pid)
            }
        }
        guard rc == 0 else { fail("cannot start \(lake): error \(rc)") }
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    }
    guard status == 0 else { fail("`\(argv.joined(separator: " "))` exited with status \(status >> 8)") }
    return (ms, usage.ru_maxrss)
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lake-catalog-bench: \(message)\n".utf8))
    exit(1)
}

/// Makes the catalog's records: commits into `runs/dNNNNN` (100 versions each) and runs in
/// chains of 100, each run reading the chain's previous output and writing the next version
/// of `chains/cNNNN`.
final class Generator {
    static let versionsPerDataset = 100
    static let chainLength = 100
    static let versionsPerRun = 10

    private(set) var versions = 0
    private(set) var runs = 0
    private var commits = 0
    private var lastOutput = [Int: String]()
    private var clock = Date(timeIntervalSince1970: 1_800_000_000)

    /// A distinct snapshot: one table whose object and row count come from `n`.
    func content(_ n: Int, name: String) throws -> SnapshotContent {
        let object = SHA256Hasher.hash(Array("\(name) \(n)".utf8))
        let path = "part-\(n % 16).jsonl"
        let manifest = try Manifest(entries: [ManifestEntry(path: path, mode: 0o100644, size: UInt64(100 + n % 1000), object: object)])
        return SnapshotContent(manifest: manifest, tables: [path: TableProfile(rows: Int64(n % 1000), columns: ["id", "score"], parseErrors: 0)],
                               metrics: [])
    }

    func grow(_ catalog: Catalog, to target: Int) throws {
        while versions < target {
            let count = min(5_000, target - versions)
            try catalog.batch { batch in
                for _ in 0 ..< count {
                    clock += 1
                    if (versions + 1) % Self.versionsPerRun == 0 { try run(batch) } else { try commit(batch) }
                    versions += 1
                }
            }
        }
    }

    private func commit(_ batch: CatalogBatch) throws {
        let dataset = try DatasetName(String(format: "runs/d%05d", commits / Self.versionsPerDataset))
        let content = try content(commits, name: "commit")
        _ = try batch.recordCommit(dataset: dataset, kind: .run, manifest: content.manifest, tables: content.tables,
                                   message: nil, sourcePath: "/data/\(dataset.rawValue)", origin: .imported(at: Timestamp.string(clock)))
        commits += 1
    }

    private func run(_ batch: CatalogBatch) throws {
        let chain = runs / Self.chainLength
        let content = try content(runs, name: "run")
        let input: String
        if let previous = lastOutput[chain] {
            input = previous
        } else {
            // The chain's first input is a committed snapshot (a version of its own dataset).
            let seed = try self.content(chain, name: "seed")
            _ = try batch.recordCommit(dataset: DatasetName(String(format: "chains/c%04d/src", chain)), kind: .run,
                                       manifest: seed.manifest, tables: seed.tables, message: nil, sourcePath: "/data/src")
            versions += 1
            input = seed.manifest.id.description
        }
        let at = Timestamp.string(clock)
        var record = RunRecord(id: String(format: "run-%011llx%05x", UInt64(clock.timeIntervalSince1970 * 1000), runs % 0x100000),
                               status: "succeeded", argv: ["./score.py"], host: "bench", actor: "bench", lakeVersion: LakeFormat.toolVersion,
                               startedAt: at, endedAt: at, durationMs: 1000)
        record.stage = "score"
        record.inputs = [.init(name: "in", snapshot: input)]
        record.outputs = [.init(name: "out", dataset: String(format: "chains/c%04d", chain), kind: "run",
                                snapshot: content.manifest.id.description)]
        _ = try batch.recordRun(record, outputs: [content.manifest.id.description: content])
        lastOutput[chain] = content.manifest.id.description
        runs += 1
    }

    /// The newest output of the first chain, once it is `chainLength` runs long.
    var deepestOutput: String? {
        runs >= Self.chainLength ? lastOutput[0] : nil
    }
}

struct Measured {
    var versions: Int
    var runs: Int
    var generateSeconds: Double
    var catalogMB: Double
    var library: [String: Sample]
    var cli: [String: Sample]
    var cliPeakMB: [String: Double]
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let lakeBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path + "/lake"
guard FileManager.default.isExecutableFile(atPath: lakeBinary) else { fail("no lake binary beside this one (\(lakeBinary)): swift build -c release --static-swift-stdlib") }
let lakeDir = options.scratch + "/catalog-lake"
_ = try Lake.initialize(in: lakeDir)
let generator = Generator()
let ref = try RefName("bench/_current/LATEST")
let logDataset = "runs/d00000"
let queries = [
    ("query, one dataset", "SELECT version, rows FROM version_details WHERE dataset = 'runs/d00000'"),
    ("query, count by kind", "SELECT kind, count(*) FROM version_details GROUP BY kind"),
]
var rows = [Measured]()

for scale in options.scales {
    // Grown through one Lake and timed through another, opened afresh as every command opens
    // it: closing the first checkpoints the WAL that the batches filled.
    let generate = try milliseconds { try generator.grow(Lake.open(lakeDir + "/.lake").catalog, to: scale) } / 1000
    // Growing to a million versions leaves 660 MB for the kernel to write back: operations timed
    // meanwhile wait behind it at every fsync, and would measure the generator's writes.
    sync()
    let lake = try Lake.open(lakeDir + "/.lake")
    guard let deepest = generator.deepestOutput else { fail("fewer than \(Generator.chainLength) runs at \(scale) versions") }
    var library = [String: Sample](), cli = [String: Sample](), peak = [String: Double]()
    func time(_ name: String, _ body: () throws -> Void) throws {
        library[name] = Sample(values: try (0 ..< options.repeats).map { _ in try milliseconds(body) })
    }
    func timeCLI(_ name: String, _ args: (Int) -> [String]) {
        let results = (0 ..< options.repeats).map { runCLI(lakeBinary, ["--lake", lakeDir] + args($0)) }
        cli[name] = Sample(values: results.map(\.ms))
        peak[name] = Double(results.map(\.rssKb).max() ?? 0) / 1024
    }
    // Promote alternates between two versions, so every call moves the ref and logs the move.
    var flip = 0
    try time("promote") {
        flip += 1
        _ = try lake.promote(ref, to: "\(logDataset)@\(1 + flip % 2)", expect: nil, message: nil)
    }
    timeCLI("promote") { ["promote", ref.rawValue, "\(logDataset)@\(1 + $0 % 2)", "--quiet"] }
    try time("log") {
        guard try lake.catalog.versions(of: DatasetName(logDataset)).count == Generator.versionsPerDataset else { fail("log of \(logDataset) is short") }
    }
    timeCLI("log") { _ in ["log", logDataset] }
    try time("lineage depth 100") {
        let lineage = try lake.catalog.lineage(of: SnapshotID(parsing: deepest), direction: .up, depth: 100)
        guard lineage.steps.count == Generator.chainLength else { fail("lineage reached \(lineage.steps.count) runs, not \(Generator.chainLength)") }
    }
    timeCLI("lineage depth 100") { _ in ["lineage", deepest, "--depth", "100", "--json"] }
    let engine = try QueryEngine(lake: lake)
    for (name, sql) in queries {
        try time(name) { guard try !engine.query(sql).rows.isEmpty else { fail("\(name) returned nothing") } }
        timeCLI(name) { _ in ["query", sql] }
    }
    var st = stat()
    stat(lakeDir + "/.lake/catalog.sqlite", &st)
    rows.append(Measured(versions: generator.versions, runs: generator.runs, generateSeconds: generate, catalogMB: Double(st.st_size) / 1e6,
                    library: library, cli: cli, cliPeakMB: peak))
    FileHandle.standardError.write(Data("catalog at \(generator.versions) versions measured\n".utf8))
}

// MARK: Report

let operations = ["promote", "log", "lineage depth 100"] + queries.map(\.0)
var out = """
## Catalog at scale

`lake-catalog-bench`: one catalog grown through LakeCatalog's batch API to each size (a tenth of
the versions made by runs chained 100 deep), then each operation timed \(options.repeats) times.
Library: the LakeKit/LakeCatalog call in this process. CLI: the whole `lake` command, process start
included. Median (min–max), in ms.

| versions | runs | catalog MB | generated in s | operation | library ms | CLI ms | CLI peak MB |
| --- | --- | --- | --- | --- | --- | --- | --- |

"""
for r in rows {
    for (i, op) in operations.enumerated() {
        let head = i == 0 ? "\(r.versions) | \(r.runs) | \(String(format: "%.0f", r.catalogMB)) | \(String(format: "%.1f", r.generateSeconds))" : " | | | "
        out += "| \(head) | \(op) | \(r.library[op]!.text) | \(r.cli[op]!.text) | \(String(format: "%.0f", r.cliPeakMB[op]!)) |\n"
    }
}
if let first = rows.first, let last = rows.last {
    out += "\nTargets at \(last.versions) versions (library calls), and growth from \(first.versions):\n\n"
    out += "| target | measured | growth \(first.versions) → \(last.versions) | verdict |\n| --- | --- | --- | --- |\n"
    for (op, limit) in [("promote", 10.0), ("lineage depth 100", 50.0)] {
        let at = last.library[op]!.median, growth = at / first.library[op]!.median
        // Flat: within 2× across a hundredfold growth (millisecond timings on a shared machine).
        let verdict = at < limit && growth <= 2 ? "PASS" : "MISS"
        out += "| \(op) under \(Int(limit)) ms, flat | \(String(format: "%.2f ms", at)) | \(String(format: "%.2f×", growth)) | \(verdict) |\n"
    }
}
print(out, terminator: "")
