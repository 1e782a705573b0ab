import ArgumentParser
import LakeCore
import LakeKit

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "log",
        abstract: "Show the versions of a dataset, or the moves of a ref.",
        discussion: "A name that is both is read as the ref; write dataset:NAME or ref:NAME to choose.")

    @Argument(help: "DATASET or REF.")
    var name: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let catalog = try global.openLake().catalog
        var text = name
        var forced: String?
        for prefix in ["ref:", "dataset:"] where text.hasPrefix(prefix) {
            forced = prefix
            text = String(text.dropFirst(prefix.count))
        }
        var ref: RefName?
        if forced == "ref:" {
            ref = try RefName(text)
        } else if forced == nil, let name = try? RefName(text), try catalog.ref(name) != nil {
            ref = name
        }
        if let ref {
            let moves = try catalog.refLog(ref)
            if moves.isEmpty { throw LakeError.targetNotFound(name) }
            if global.json { return try Output.json(moves) }
            Output.table(["MOVE", "AT", "ACTION", "FROM", "TO", "BY", "MESSAGE"], moves.reversed().map {
                ["@{\(moves.count - $0.move)}", $0.at, $0.action, $0.from.map(Output.short) ?? "-", Output.short($0.to), $0.actor, $0.message ?? ""]
            })
            return
        }
        let versions = try catalog.versions(of: DatasetName(text))
        if global.json { return try Output.json(versions) }
        // A ledger only grows: what each version appended is what its readers care about.
        let ledger = versions.first?.kind == Kind.ledger.rawValue
        let rows = versions.enumerated().reversed().map { i, v -> [String] in
            var row = ["@\(v.version)" + (v.archived ? " (archived)" : ""), Output.short(v.snapshot), v.createdAt, "\(v.files)", Output.bytes(v.bytes),
                       v.rows.map { "\($0)" } ?? "-"]
            if ledger {
                let before = i > 0 ? versions[i - 1] : nil
                row.append(v.rows.map { "+\($0 - (before?.rows ?? 0))" } ?? "-")
            }
            return row + [v.message ?? ""]
        }
        Output.table(["VERSION", "SNAPSHOT", "CREATED", "FILES", "SIZE", "ROWS"] + (ledger ? ["APPENDED"] : []) + ["MESSAGE"], rows)
    }
}
