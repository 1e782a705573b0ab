import ArgumentParser
import LakeCore
import LakeKit

struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "commit",
        abstract: "Snapshot a directory (or one file) as the next version of a dataset.",
        discussion: "Content equal to the dataset's latest version makes no new version.")

    @Argument(help: "The directory or file to snapshot.")
    var path: String

    @Option(help: "The dataset, e.g. runs/passX.")
    var dataset: String

    @Option(help: "The dataset's kind when it is new: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")) (default other).")
    var kind: String?

    @Option(name: .shortAndLong, help: "Why this version exists.")
    var message: String?

    @Option(help: ArgumentHelp("Also move this ref to the new snapshot.", valueName: "REF"))
    var promote: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        do {
            _ = try DatasetName(dataset)
            _ = try kind.map(Kind.init(parsing:))
            _ = try promote.map { try RefName($0) }
        } catch let e as CoreError {
            throw ValidationError(e.description)
        }
    }

    func run() throws {
        let lake = try global.openLake()
        let progress = ProgressLine.forTerminal(global, label: "reading files")
        defer { progress?.finish() }
        let result = try lake.commit(path: path, dataset: DatasetName(dataset), kind: kind.map(Kind.init(parsing:)),
                                     message: message, promote: promote.map { try RefName($0) },
                                     progress: progress?.callback)
        progress?.finish()
        if global.json { return try Output.json(result) }
        if global.quiet { return }
        let r = result.record
        if r.created {
            Output.line("\(r.dataset)@\(r.version) \(r.snapshot) (\(Output.count(r.files, "file")), \(Output.bytes(r.bytes)))")
        } else {
            Output.line("unchanged: \(r.dataset)@\(r.version) already holds \(r.snapshot); no new version")
        }
        Output.line("read \(Output.count(result.filesRead, "file")) (\(Output.bytes(result.bytesRead))), \(result.filesFromCache) unchanged since the last commit, \(Output.count(result.objectsWritten, "new object"))")
        if let move = result.promoted {
            Output.line("promoted \(move.ref): \(move.from.map(Output.short) ?? "(new)") -> \(Output.short(move.to))")
        }
    }
}
