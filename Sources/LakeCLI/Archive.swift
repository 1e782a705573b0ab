import ArgumentParser
import LakeCatalog
import LakeKit

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "archive",
        abstract: "Write snapshots to verified tar --zstd archives listed in archives/index.jsonl.",
        discussion: "Each archive opens with plain 'tar --zstd -xf' into the original directory name. Objects stay in the store; 'lake restore' brings them back from the archive when they are gone.")

    @Argument(help: "TARGETs to archive.")
    var targets: [String]

    @Option(help: "zstd compression level (1-19).")
    var level: Int32 = 3

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if targets.isEmpty { throw ValidationError("name at least one TARGET to archive") }
        if !(1 ... 19).contains(level) { throw ValidationError("--level takes 1 to 19") }
    }

    func run() throws {
        let lake = try global.openLake()
        var records = [ArchiveRecord]()
        for target in targets {
            let (record, created) = try lake.archive(target, level: level)
            records.append(record)
            if !global.json && !global.quiet {
                Output.line("\(record.dataset)@\(record.version) \(created ? "archived to" : "is already in") \(record.archive) (\(Output.count(record.files, "file")), \(Output.bytes(record.bytes)))")
            }
        }
        if global.json { try Output.json(records) }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("restore", abstract: "Bring an archived snapshot's objects back from its archive, verifying every entry.")

    @Argument(help: "TARGET.")
    var target: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let report = try global.openLake().restore(target)
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        Output.line("restored \(Output.short(report.snapshot)) from \(report.archive): \(Output.count(report.files, "file")) verified, \(Output.count(report.objectsWritten, "object")) written back")
    }
}
