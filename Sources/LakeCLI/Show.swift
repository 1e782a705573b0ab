import ArgumentParser
import LakeKit

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("show", abstract: "Show a snapshot: its files, sizes, rows, and the versions and refs that hold it.")

    @Argument(help: "TARGET.")
    var target: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let lake = try global.openLake()
        if target.hasPrefix("run-") { return try showRun(lake) }
        let details = try lake.show(target)
        if global.json { return try Output.json(details) }
        Output.line("snapshot \(details.snapshot) (\(details.target.via))")
        Output.line("files    \(details.files.count), \(Output.bytes(details.bytes))" + (details.rows.map { ", \($0) rows" } ?? ""))
        for v in details.versions {
            Output.line("version  \(v.dataset)@\(v.version) (\(v.kind)\(v.archived ? ", archived" : "")) \(v.createdAt)" + (v.message.map { " \"\($0)\"" } ?? ""))
        }
        for r in details.refs { Output.line("ref      \(r)") }
        if let run = details.producedBy { Output.line("made by  \(run) ('lake show \(run)')") }
        for m in details.metrics { Output.line("metric   \(m.key) = \(m.value) (\(m.path))") }
        let damaged = details.files.filter { ($0.parseErrors ?? 0) > 0 }
        if !damaged.isEmpty {
            Output.line("errors   \(damaged.reduce(0) { $0 + ($1.parseErrors ?? 0) }) records did not parse, in \(damaged.count) file(s)")
        }
        Output.line()
        Output.table(["MODE", "SIZE", "ROWS", "ERRORS", "COLUMNS", "PATH"], details.files.map {
            [String($0.mode, radix: 8), "\($0.size)", $0.rows.map { "\($0)" } ?? "-", $0.parseErrors.map { "\($0)" } ?? "-",
             $0.columns.map { "\($0.count)" } ?? "-", $0.path]
        })
    }

    func showRun(_ lake: Lake) throws {
        guard let run = try lake.catalog.run(target) else { throw LakeError.runNotFound(target) }
        if global.json { return try Output.json(run) }
        Output.line("run      \(run.id)" + (run.stage.map { " (stage \($0))" } ?? ""))
        Output.line("status   \(run.status), exit \(run.exitCode.map { "\($0)" } ?? "-"), attempt \(run.attempt)"
            + (run.resumes.map { ", resumes \($0)" } ?? "") + (run.reuses.map { ", reuses \($0)" } ?? "")
            + (run.reproduces.map { ", reproduces \($0)" } ?? ""))
        Output.line("command  \(run.argv.joined(separator: " "))" + (run.cwd.map { " (from \($0))" } ?? ""))
        Output.line("time     \(run.startedAt) to \(run.endedAt) (\(String(format: "%.1f", Double(run.durationMs) / 1000)) s), peak memory \(run.peakRssKb.map { Output.bytes($0 * 1024) } ?? "-")")
        Output.line("by       \(run.actor) on \(run.host), lake \(run.lakeVersion)" + (run.codeVersion.map { ", code \($0)" } ?? ""))
        if let params = run.params, params != "{}" { Output.line("params   \(params)") }
        for (k, v) in (run.environment ?? [:]).sorted(by: { $0.key < $1.key }) { Output.line("env      \(k)=\(v)") }
        for i in run.inputs { Output.line("input    \(i.name): \(i.snapshot)") }
        for o in run.outputs { Output.line("output   \(o.name): \(o.dataset)@\(o.version) \(o.snapshot)") }
        if let out = run.stdoutObject { Output.line("stdout   \(out)") }
        if let err = run.stderrObject { Output.line("stderr   \(err)") }
    }
}
