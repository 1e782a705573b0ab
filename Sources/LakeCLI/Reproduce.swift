import ArgumentParser
import Foundation
import LakeKit
import LakeTransforms

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "reproduce",
        abstract: "Run again the run that made a snapshot, and say whether the outputs are identical.",
        discussion: """
            The run's inputs, command, params, recorded code files and declared environment are \
            used in a fresh work directory; the new outputs become versions of reproduce/<dataset> \
            and the reproduction is a run linked to the original. Exit 0 when every output is \
            identical, 1 when any differs (the files that differ are listed).
            """)

    @Argument(help: "TARGET or RUN.")
    var target: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let lake = try global.openLake()
        let reproducer = Reproducer(lake: lake)
        let (original, notes) = try reproducer.prepare(target)
        for note in notes { Output.note(note) }
        let err = FileHandle.standardError
        let result = try reproducer.reproduce(original, streams: ExecStreams(stdout: { err.write(Data($0)) }, stderr: { err.write(Data($0)) }))
        if global.json {
            try Output.json(result)
        } else {
            Output.line("reproduced \(original.id)\(original.stage.map { " (stage \($0))" } ?? "") as \(result.run.id): \(result.identical ? "identical" : "differs")")
            if result.run.status != "succeeded" { Output.line("the reproduction failed with exit status \(result.run.exitCode ?? -1)") }
            for o in result.outputs {
                Output.line("  \(o.name): \(o.identical ? "identical" : "differs") \(Output.short(o.original))" + (o.identical ? "" : " -> \(o.reproduced.map(Output.short) ?? "none")"))
                for c in o.changes {
                    let sizes = [c.sizeBefore.map { "\($0)" } ?? "-", c.sizeAfter.map { "\($0)" } ?? "-"].joined(separator: " -> ")
                    Output.line("    \(c.change) \(c.path) (\(sizes) bytes)")
                }
            }
        }
        if !result.identical { throw ExitCode(1) }
    }
}
