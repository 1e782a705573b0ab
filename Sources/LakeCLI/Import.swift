import ArgumentParser
import Foundation
import LakeKit

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "import",
        abstract: "Adopt an existing artifact tree in place: iterations become versions, _current pointers refs.",
        discussion: """
            A layout (layouts/README.md) maps paths under ROOT to datasets, kinds, times and refs: \
            'iterations' takes <stage>_<tag>_YYYYMMDD_HHMMSS directories as versions of <parent>/<stage> \
            in time order; 'natural-corpus' takes a collector's raw/, screened_yellow/, combined/ pools, \
            _ledger/*.jsonl ledgers, _pitches and _manifests; 'auto' picks natural-corpus when ROOT has \
            raw/, combined/, screened_yellow/ or _ledger/, else iterations. Or give a layout file. \
            Files are read, never moved or changed. Importing twice changes nothing.
            """)

    @Argument(help: "The root of the tree to adopt.")
    var root: String

    @Option(help: ArgumentHelp("auto, iterations, natural-corpus, or the path of a layout file.", valueName: "LAYOUT"))
    var layout = "auto"

    @Flag(help: "Print what each path would become; change nothing.")
    var dryRun = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let lake = try global.openLake()
        let report = try lake.importTree(root, layout: try chosenLayout(), dryRun: dryRun)
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        Output.table(["PATH", "BECOMES", "KIND", "TIME", dryRun ? "" : "RESULT"], report.entries.map { e in
            let becomes = e.ref.map { "ref \($0)" + (e.pointsAt.map { " -> \($0)" } ?? "") } ?? e.dataset
            let result: String
            if e.ref != nil {
                result = dryRun ? "" : (e.refMoved == true ? "moved" : "unchanged")
            } else if let v = e.version {
                result = (e.created ?? false) ? "\(e.dataset)@\(v)" : "already @\(v)"
            } else {
                result = ""
            }
            return [e.path, becomes, e.ref == nil ? e.kind : "", e.time, result]
        })
        let versions = report.entries.filter { $0.ref == nil }
        let refs = report.entries.filter { $0.ref != nil }
        if dryRun {
            Output.line("\(Output.count(versions.count, "version")) in \(Output.count(Set(versions.map(\.dataset)).count, "dataset")), "
                + "\(Output.count(refs.count, "ref")) (layout \(report.layout)); nothing was changed")
        } else {
            let made = versions.filter { $0.created == true }.count
            Output.line("imported \(Output.count(made, "new version")) (\(versions.count - made) already there), "
                + "\(Output.count(refs.filter { $0.refMoved == true }.count, "ref")) moved (layout \(report.layout))")
        }
        if !report.unmatched.isEmpty {
            Output.note("\(Output.count(report.unmatched.count, "path")) matched no rule and stayed out, e.g. \(report.unmatched.prefix(3).joined(separator: ", "))")
        }
    }

    func chosenLayout() throws -> ImportLayout {
        var name = layout
        if name == "auto" {
            let markers = ["raw", "combined", "screened_yellow", "_ledger"]
            name = markers.contains { FileManager.default.fileExists(atPath: root + "/" + $0) } ? "natural-corpus" : "iterations"
        }
        if let builtIn = try ImportLayout.builtIn(name) { return builtIn }
        guard name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml") else {
            throw ImportError.unknownLayout(name, known: ImportLayout.builtInNames)
        }
        guard let text = try? String(contentsOfFile: name, encoding: .utf8) else { throw ImportError.unknownLayout(name, known: ImportLayout.builtInNames) }
        return try ImportLayout.parse(text, source: name, name: name)
    }
}
