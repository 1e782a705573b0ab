import ArgumentParser
import LakeCore
import LakeKit

/// `lake ref bind|unbind|bindings`: refs kept on disk as `_current` paths.
struct Ref: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "ref",
        abstract: "Keep a ref on disk: a path that always shows the ref's snapshot, read-only.",
        subcommands: [Bind.self, Unbind.self, Bindings.self])

    struct Bind: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bind",
            abstract: "Make PATH a link to a read-only view of REF's snapshot, swapped atomically whenever REF moves.",
            discussion: """
                Every promote and rollback of REF (and commit --promote, and a pipeline's promote) \
                renames a new link over PATH, so a reader sees the old view or the new one, never \
                neither. Views live in .lake/views/, one per snapshot; 'lake gc' removes views no \
                path shows. PATH must be absent or a link lake made: an existing file or directory \
                is never replaced (exit 5).
                """)

        @Argument(help: "The ref.") var ref: String
        @Argument(help: "The path to keep pointing at it, e.g. field/_current/MERGED.") var path: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let update = try global.openLake().bind(try RefName(ref), path: path)
            if global.json { return try Output.json(update) }
            if !global.quiet { Output.line("\(update.path) -> \(update.ref) (\(Output.short(update.snapshot))), read-only") }
        }
    }

    struct Unbind: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unbind", abstract: "Stop keeping PATH; its link is removed, the ref stays.")

        @Argument(help: "A bound path.") var path: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let removed = try global.openLake().unbind(path: path)
            if global.json { return try Output.json(removed) }
            if !global.quiet { Output.line("\(removed.path) no longer follows \(removed.ref)") }
        }
    }

    struct Bindings: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bindings", abstract: "List bound paths and the refs they follow.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let bindings = try global.openLake().bindings()
            if global.json { return try Output.json(bindings) }
            Output.table(["REF", "PATH"], bindings.map { [$0.ref, $0.path] })
        }
    }
}
