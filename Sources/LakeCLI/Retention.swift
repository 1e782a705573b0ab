import ArgumentParser
import LakeKit
import LakeRetention

struct Retention: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "retention",
        abstract: "Plan or apply a retention policy: keep what the rules keep, archive the rest.",
        subcommands: [RetentionPlan.self, RetentionApply.self])
}

struct RetentionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A policy file (default: the built-in retention/default.yaml).", valueName: "FILE"))
    var policy: String?
}

struct RetentionPlan: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show what would be kept and archived, why, and the bytes freed.")

    @OptionGroup var options: RetentionOptions
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let report = try global.openLake().retentionPlan(Lake.policy(at: options.policy))
        try RetentionOutput.render(report, global: global)
    }
}

struct RetentionApply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Archive every version the policy does not keep (verified, indexed); running it again does nothing.",
        discussion: "Objects stay in the store until 'lake gc' drops those that nothing live uses.")

    @OptionGroup var options: RetentionOptions

    @Option(help: "zstd compression level (1-19).")
    var level: Int32 = 3

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !(1 ... 19).contains(level) { throw ValidationError("--level takes 1 to 19") }
    }

    func run() throws {
        let report = try global.openLake().retentionApply(Lake.policy(at: options.policy), level: level)
        try RetentionOutput.render(report, global: global)
    }
}

enum RetentionOutput {
    static func render(_ report: RetentionReport, global: GlobalOptions) throws {
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        Output.table(["ACTION", "VERSION", "SNAPSHOT", "SIZE", "WHY"], report.decisions.map {
            [$0.action, "\($0.dataset)@\($0.version)", Output.short($0.snapshot), Output.bytes($0.bytes), $0.reasons.joined(separator: "; ")]
        })
        let toArchive = report.decisions.filter { $0.action == "archive" }.count
        Output.line("policy \(report.policy): \(Output.count(report.decisions.filter { $0.action == "keep" }.count, "version")) kept, "
            + "\(toArchive) to archive, \(report.decisions.filter { $0.action == "archived" }.count) archived before; "
            + "\(Output.bytes(report.bytesFreed)) only in versions not kept")
        for a in report.archived { Output.line("archived \(a)") }
    }
}
