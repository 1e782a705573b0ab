import ArgumentParser
import LakeKit

struct Refs: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("refs", abstract: "List refs and the snapshots they point at.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let refs = try global.openLake().catalog.refs()
        if global.json { return try Output.json(refs) }
        Output.table(["REF", "SNAPSHOT", "UPDATED"], refs.map { [$0.name, Output.short($0.snapshot), $0.updatedAt] })
    }
}
