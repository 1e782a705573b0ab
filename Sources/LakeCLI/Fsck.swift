import ArgumentParser
import LakeCore
import LakeKit

struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-hash every object and check every manifest, version, ref and ref-log entry.",
        discussion: "Exits 6 when anything is corrupt or missing, 0 on a clean lake.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let report = try global.openLake().fsck()
        if global.json {
            try Output.json(report)
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
