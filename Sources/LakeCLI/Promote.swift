import ArgumentParser
import LakeCatalog
import LakeCore
import LakeKit
import LakeQuery
import LakeRemote

struct Promote: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "promote",
        abstract: "Move (or create) a ref to point at a snapshot; the move is logged.",
        discussion: "With --expect, the move happens only if the ref still points at that TARGET (or does not exist, for 'none'); otherwise nothing changes and the exit code is 5.")

    @Argument(help: "The ref, e.g. field/_current/MERGED.")
    var ref: String

    @Argument(help: "TARGET.")
    var target: String

    @Option(help: ArgumentHelp("Where the ref must point now: a TARGET, or 'none' for a new ref.", valueName: "TARGET|none"))
    var expect: String?

    @Option(name: .shortAndLong, help: "Why it moves.")
    var message: String?

    @Option(name: .customLong("gate"), help: ArgumentHelp("SQL that must return one truthy value; :candidate and :current are the snapshot ids. A failing gate moves nothing (exit 3).", valueName: "SQL"))
    var gates: [String] = []

    @Option(help: ArgumentHelp("Move the ref on this remote too, by compare-and-swap, in the same command; when another lake moved it first, nothing moves (exit 5).", valueName: "REMOTE"))
    var remote: String?

    @OptionGroup var data: DataOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        do { _ = try RefName(ref) } catch let e as CoreError { throw ValidationError(e.description) }
        if gates.isEmpty, !data.tables.isEmpty || !data.params.isEmpty {
            throw ValidationError("--table and --param serve --gate; give a --gate or drop them")
        }
    }

    func run() throws {
        let lake = try global.openLake()
        let name = try RefName(ref)
        var results: [GateResult]?
        var expectation = expect
        if !gates.isEmpty {
            let (candidate, _) = try lake.resolve(target)
            let current = try lake.catalog.ref(name).map { try SnapshotID(parsing: $0.snapshot) }
            let engine = try QueryEngine(lake: lake)
            var aliases = [":candidate": candidate.description]
            if let current { aliases[":current"] = current.description }
            _ = try data.load(into: engine, aliases: aliases)
            results = try engine.evaluate(gates: gates, candidate: candidate, current: current, params: data.parsedParams())
            // The gates judged this current target: the move happens only if it is still there.
            expectation = expectation ?? current?.description ?? "none"
        }
        let move: RefMove?
        if let remote {
            let remotes = Remotes(lake)
            move = try remotes.open(remotes.config(named: remote)).promote(lake, ref: name, to: target, expect: expectation, message: message, gates: results)
        } else {
            move = try lake.promote(name, to: target, expect: expectation, message: message, gates: results)
        }
        try RefMoveOutput.render(move, ref: ref, global: global)
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand("rollback", abstract: "Move a ref back to where it pointed before its last move; logged as a move.")

    @Argument(help: "The ref.")
    var ref: String

    @Option(name: .shortAndLong, help: "Why it moves back.")
    var message: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        do { _ = try RefName(ref) } catch let e as CoreError { throw ValidationError(e.description) }
    }

    func run() throws {
        let move = try global.openLake().rollback(RefName(ref), message: message)
        try RefMoveOutput.render(move, ref: ref, global: global)
    }
}

enum RefMoveOutput {
    static func render(_ move: RefMove?, ref: String, global: GlobalOptions) throws {
        struct Result: Encodable { var ref: String; var moved: Bool; var move: RefMove? }
        if global.json { return try Output.json(Result(ref: ref, moved: move != nil, move: move)) }
        if global.quiet { return }
        guard let move else { return Output.line("\(ref) already points there; nothing changed") }
        Output.line("\(move.action == "rollback" ? "rolled back" : "promoted") \(move.ref): \(move.from ?? "(new)") -> \(move.to)")
    }
}
