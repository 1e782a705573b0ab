import ArgumentParser
import LakeKit
import LakeQuery

struct Counts: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("counts", abstract: "Count the rows of a snapshot's CSV/JSON-lines files, per file or per value of a field.")

    @Argument(help: "TARGET.")
    var target: String

    @Option(help: "Group by this CSV column or top-level JSON key (e.g. error_type, pool, rarity_level).")
    var by: String?

    @Option(help: "Only files matching this glob (e.g. '*.jsonl').")
    var glob: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let counts = try QueryEngine(lake: global.openLake()).counts(target, by: by, glob: glob)
        if global.json { return try Output.json(counts) }
        Output.table([by?.uppercased() ?? "FILE", "ROWS", "SHARE"], counts.groups.map {
            [$0.value ?? "NULL", "\($0.rows)", counts.total == 0 ? "-" : String(format: "%.1f%%", Double($0.rows) * 100 / Double(counts.total))]
        })
        if !global.quiet { Output.line("\(counts.total) rows") }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "diff",
        abstract: "Show the files added, removed and changed between two snapshots; with --key, the records too.")

    @Argument(help: "TARGET A (before).")
    var a: String

    @Argument(help: "TARGET B (after).")
    var b: String

    @Option(help: "Match records of the CSV/JSON-lines files by this field; adds the Jaccard index of the key sets.")
    var key: String?

    @Option(help: "With --key, only files matching this glob.")
    var glob: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let diff = try QueryEngine(lake: global.openLake()).diff(a, b, key: key, glob: glob)
        if global.json { return try Output.json(diff) }
        Output.table(["CHANGE", "PATH", "BYTES", "ROWS"], diff.files.map { f in
            let bytes = [f.bytesBefore.map { "\($0)" } ?? "-", f.bytesAfter.map { "\($0)" } ?? "-"].joined(separator: " -> ")
            let rows = f.rowsBefore == nil && f.rowsAfter == nil ? "-" : [f.rowsBefore.map { "\($0)" } ?? "-", f.rowsAfter.map { "\($0)" } ?? "-"].joined(separator: " -> ")
            return [f.change, f.path, bytes, rows]
        })
        if let r = diff.records {
            Output.line("records by \(r.key): \(r.added) added, \(r.removed) removed, \(r.changed) changed, \(r.unchanged) unchanged; Jaccard \(String(format: "%.4f", r.jaccard))")
        }
    }
}
