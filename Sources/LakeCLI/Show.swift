import ArgumentParser
import LakeKit

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a snapshot: its files, sizes, rows, and the versions and refs that hold it.")

    @Argument(help: "TARGET.")
    var target: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let details = try global.openLake().show(target)
        if global.json { return try Output.json(details) }
        Output.line("snapshot \(details.snapshot) (\(details.target.via))")
        Output.line("files    \(details.files.count), \(Output.bytes(details.bytes))" + (details.rows.map { ", \($0) rows" } ?? ""))
        for v in details.versions {
            Output.line("version  \(v.dataset)@\(v.version) (\(v.kind)) \(v.createdAt)" + (v.message.map { " \"\($0)\"" } ?? ""))
        }
        for r in details.refs { Output.line("ref      \(r)") }
        Output.line()
        Output.table(["MODE", "SIZE", "ROWS", "PATH"], details.files.map {
            [String($0.mode, radix: 8), "\($0.size)", $0.rows.map { "\($0)" } ?? "-", $0.path]
        })
    }
}
