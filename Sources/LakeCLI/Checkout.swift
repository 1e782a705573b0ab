import ArgumentParser
import LakeKit
import LakeStore

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "checkout",
        abstract: "Write a snapshot's files into a new or empty directory.",
        discussion: "Copies (reflinks where the filesystem can) by default. --link hard-links large objects: the files are read-only and share the store's bytes.")

    @Argument(help: "TARGET.")
    var target: String

    @Argument(help: "The directory to create (or an empty one).")
    var dir: String

    @Flag(help: "Hard-link large objects instead of copying them.")
    var link = false

    @Flag(help: "Restore an archived snapshot whose objects gc dropped, then check it out.")
    var restore = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let progress = ProgressLine.forTerminal(global, label: "writing files")
        let report = try global.openLake().checkout(target, into: dir, mode: link ? .link : .copy, restore: restore, progress: progress?.callback)
        progress?.finish()
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        var how = ""
        if report.linked > 0 { how += ", \(report.linked) linked" }
        if report.reflinked > 0 { how += ", \(report.reflinked) reflinked" }
        Output.line("checked out \(target) into \(report.directory) (\(report.files) files, \(Output.bytes(report.bytes))\(how))")
    }
}
