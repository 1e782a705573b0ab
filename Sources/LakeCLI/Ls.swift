import ArgumentParser
import Foundation
import LakeKit

struct Ls: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("ls", abstract: "List datasets: kind, versions, latest snapshot, size.")

    @Argument(help: "A glob over dataset names, e.g. 'runs/*'.")
    var pattern: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let all = try global.openLake().catalog.datasets()
        let datasets = pattern.map { p in all.filter { fnmatch(p, $0.name, 0) == 0 } } ?? all
        if global.json { return try Output.json(datasets) }
        Output.table(["DATASET", "KIND", "VERSIONS", "LATEST", "SIZE"], datasets.map {
            [$0.name, $0.kind, "\($0.versions)", $0.latestSnapshot.map(Output.short) ?? "-", $0.latestBytes.map(Output.bytes) ?? "-"]
        })
    }
}
