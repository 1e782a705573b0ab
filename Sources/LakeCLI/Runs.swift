import ArgumentParser
import LakeKit

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("runs", abstract: "List runs, newest first. 'lake show RUN' shows one.")

    @Option(help: "Only runs of this status: succeeded, failed or cached.")
    var status: String?

    @Option(help: "Only runs of this pipeline stage.")
    var stage: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let status, !["succeeded", "failed", "cached"].contains(status) {
            throw ValidationError("unknown status '\(status)': use succeeded, failed or cached")
        }
    }

    func run() throws {
        let runs = try global.openLake().catalog.runs(status: status, stage: stage)
        if global.json { return try Output.json(runs) }
        Output.table(["RUN", "STAGE", "STATUS", "STARTED", "SECONDS", "EXIT", "OUTPUTS"], runs.map { r in
            [r.id, r.stage ?? "-", r.status, r.startedAt, String(format: "%.1f", Double(r.durationMs) / 1000),
             r.exitCode.map { "\($0)" } ?? "-", r.outputs.map { "\($0.dataset)@\($0.version)" }.joined(separator: " ")]
        })
    }
}
