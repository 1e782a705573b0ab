import ArgumentParser
import Foundation
import LakeCore
import LakeKit

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("init", abstract: "Create a lake (.lake/) in DIR, the current directory by default.")

    @Argument(help: "The directory to hold .lake/ (made if missing); else --lake, else $LAKE_DIR, else the current directory.")
    var dir: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let dir, let lake = global.lake, dir != lake {
            throw ValidationError("give the directory once: DIR (\(dir)) and --lake (\(lake)) differ")
        }
    }

    func run() throws {
        let environment = Environment.value("LAKE_DIR").flatMap { $0.isEmpty ? nil : $0 }
        let (lake, created) = try Lake.initialize(in: dir ?? global.lake ?? environment ?? ".")
        struct Result: Encodable { var lake: String; var created: Bool }
        if global.json { return try Output.json(Result(lake: lake.directory, created: created)) }
        if global.quiet { return }
        Output.line(created ? "Initialized empty lake in \(lake.directory)" : "A lake exists in \(lake.directory); nothing changed")
    }
}
