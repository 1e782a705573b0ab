import ArgumentParser
import Foundation
import LakeKit
import LakeTransforms

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "run",
        abstract: "Run pipeline stages in dependency order, reusing stages whose inputs, params, code and environment did not change.",
        discussion: """
            With no STAGE, every stage runs; a named stage brings the stages it reads from. A stage \
            whose run key matches an earlier successful run is not executed: its outputs are reused \
            and a 'cached' run is recorded. One failing stage stops the stages that depend on it, \
            not the others. docs/pipelines.md describes the file.
            """)

    @Argument(help: "Stages to run (default: all).")
    var stages: [String] = []

    @Option(help: "The pipeline file.")
    var pipeline = "lake.yaml"

    @Flag(help: "Run even stages whose run key matches an earlier run.")
    var force = false

    @Flag(help: "Print what would run and why, without running.")
    var dryRun = false

    @Flag(help: "Continue a stage's last failed run in its kept directory instead of starting anew.")
    var resume = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let lake = try global.openLake()
        let file = try LakeTransforms.Pipeline.load(pipeline.hasPrefix("/") ? pipeline : FileManager.default.currentDirectoryPath + "/" + pipeline)
        let out = FileHandle.standardOutput, err = FileHandle.standardError
        let streams = global.json || global.quiet ? ExecStreams(stdout: { err.write(Data($0)) }, stderr: { err.write(Data($0)) })
                                                  : ExecStreams(stdout: { out.write(Data($0)) }, stderr: { err.write(Data($0)) })
        let report = try PipelineRunner(lake: lake, pipeline: file).run(stages, force: force, dryRun: dryRun, resume: resume, streams: streams)
        if global.json {
            try Output.json(report)
        } else if !global.quiet || report.failed {
            Output.table(["STAGE", "STATUS", "RUN", "OUTPUTS", "WHY"], report.stages.map {
                [$0.stage, $0.status, $0.run ?? "-", $0.outputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                 $0.reasons.joined(separator: "; ")]
            })
        }
        if report.failed { throw ExitCode(1) }
    }
}
