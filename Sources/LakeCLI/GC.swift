import ArgumentParser
import LakeKit
import LakeRetention

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "gc",
        abstract: "Drop objects nothing live uses: only archived versions' objects and leftovers of interrupted commands go.",
        discussion: """
            Live: ref targets, both ends of ref moves inside the grace window, every version that is \
            not archived, inputs of kept failed runs, all manifests, run logs and code, and every \
            object younger than the grace. Packs mostly dead are rewritten (the new pack is durable \
            before the old one goes). gc waits for commands in flight (commit, exec, archive, restore).
            """)

    @Flag(help: "List what would be dropped and why; drop nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Keep objects younger than this and ref moves inside it: 90m, 36h, 7d, 2w.", valueName: "DURATION"))
    var grace = "7d"

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if Policy.seconds(grace) == nil { throw ValidationError("--grace takes a duration such as 90m, 36h, 7d or 2w, not '\(grace)'") }
    }

    func run() throws {
        let report = try global.openLake().gc(grace: Double(Policy.seconds(grace)!), dryRun: dryRun)
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        if dryRun, !report.dropped.isEmpty {
            Output.table(["OBJECT", "SIZE", "WHY", "WHERE"], report.dropped.map { [Output.short($0.object), "\($0.bytes)", $0.why, $0.location] })
        }
        Output.line("\(dryRun ? "would drop" : "dropped") \(Output.count(report.dropped.count, "object")) (\(Output.bytes(report.bytesFreed))); "
            + "\(report.liveObjects) live; \(Output.count(report.packsRewritten, "pack")) \(dryRun ? "to rewrite" : "rewritten"), "
            + "\(report.packsDeleted) \(dryRun ? "to delete" : "deleted")"
            + (report.viewsRemoved > 0 ? "; \(Output.count(report.viewsRemoved, "unbound view")) removed" : ""))
        for archive in report.archivesUnusable {
            Output.error("\(archive) is missing or does not match its record: the objects only it would hold were kept; put the file back, or archive its versions again with 'lake archive'")
        }
    }
}
