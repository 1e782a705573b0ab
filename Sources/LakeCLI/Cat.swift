import ArgumentParser
import Foundation
import LakeKit

struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("cat", abstract: "Print one file of a snapshot; its bytes are checked against their hash.")

    @Argument(help: ArgumentHelp("TARGET:PATH, e.g. runs/passX@2:ok.jsonl.", valueName: "TARGET:PATH"))
    var spec: String

    @Flag(help: "Restore an archived snapshot whose objects gc dropped, then print.")
    var restore = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let out = FileHandle.standardOutput
        try global.openLake().cat(spec, restore: restore) { out.write(Data($0)) }
    }
}
