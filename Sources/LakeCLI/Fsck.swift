import ArgumentParser
import LakeCore
import LakeKit

struct Fsck: ParsableCommand {
    struct Rebuilt: Encodable { var datasets, versions, refMoves: Int }
    struct Result: Encodable { var report: FsckReport; var rebuilt: Rebuilt? }

    static let configuration = CommandConfiguration.lakeSubcommand(
        "fsck",
        abstract: "Re-hash every object and check every manifest, version, ref and ref-log entry.",
        discussion: """
            Exits 6 when anything is corrupt or missing, 0 on a clean lake. \
            --rebuild-catalog first builds the catalog anew from the journal and the manifests \
            (the old one is kept as catalog.sqlite.replaced), then checks.
            """)

    @Flag(help: "Rebuild catalog.sqlite from journal.jsonl and the manifests before checking.")
    var rebuildCatalog = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        var rebuilt: Rebuilt?
        if rebuildCatalog {
            let counts = try Lake.rebuildCatalog(Lake.locate(explicit: global.lake))
            rebuilt = Rebuilt(datasets: counts.datasets, versions: counts.versions, refMoves: counts.refMoves)
            if !global.json && !global.quiet {
                Output.line("rebuilt the catalog: \(Output.count(counts.datasets, "dataset")), \(Output.count(counts.versions, "version")), \(Output.count(counts.refMoves, "ref move"))")
            }
        }
        let progress = ProgressLine.forTerminal(global, label: "checking objects")
        let report = try global.openLake().fsck(progress: progress?.callback)
        progress?.finish()
        if global.json {
            try Output.json(Result(report: report, rebuilt: rebuilt))
        } else {
            for p in report.problems { Output.line("\(p.area) \(p.subject): \(p.problem)") }
            if !global.quiet {
                for n in report.notes { Output.line("note: \(n)") }
                Output.line("checked \(report.objects) objects (\(Output.bytes(report.bytes))) and \(report.snapshots) snapshots: "
                    + (report.clean ? "no problems" : "\(report.problems.count) problem(s)"))
            }
        }
        if !report.clean { throw ExitCode(ErrorCategory.corruption.rawValue) }
    }
}
