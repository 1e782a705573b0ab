import ArgumentParser
import Foundation
import LakeCore
import LakeKit
import LakeRemote

/// The `lake` command tree. `main.swift` calls `LakeCommand.runMain()`.
public struct LakeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lake",
        abstract: "Keep pipeline artifacts as immutable, content-addressed snapshots with a SQLite catalog.",
        discussion: """
            Exit codes: 0 ok, 1 error, 2 usage, 3 gate failed, 4 not found, 5 conflict (expectation or lock), 6 corruption found.
            TARGET: sha256:<hex> or a unique hex prefix (8+ digits), DATASET@N, DATASET@latest, REF, REF@{N}; \
            a bare name is a ref when one exists, else the dataset's latest version; ref: and dataset: force either.
            """,
        version: LakeFormat.toolVersion,
        subcommands: [Init.self, Commit.self, Import.self, Ls.self, Log.self, Show.self, Cat.self, Checkout.self, Refs.self, Ref.self,
                      Promote.self, Rollback.self, Exec.self, Run.self, Runs.self, Lineage.self, Reproduce.self, Query.self, Counts.self, Diff.self, Retention.self, Archive.self, Restore.self, GC.self, Fsck.self,
                      RemoteCommand.self, Push.self, Pull.self, Clone.self])

    public init() {}

    /// Parses `arguments`, runs the command and returns the exit code (docs/cli.md).
    ///
    /// `lake NAME ...` is parsed by NAME's own command as a root: parsed from here, ArgumentParser
    /// also reflected this command, the two commands of its completion-script check, and the
    /// whole stack again to decode it: 4.2M instructions, a seventh of a no-op commit. Each
    /// subcommand is configured as one of lake's (`CommandConfiguration.lakeSubcommand`), so its
    /// help and errors still read `lake NAME`. Anything else (`--help`, `help NAME`, an unknown
    /// word, `--generate-completion-script`) is parsed from here.
    public static func runMain(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Int32 {
        defer { for lake in opened { lake.catalog.settleWAL() } }
        var arguments = hoistingGlobalOptions(arguments)
        var root: ParsableCommand.Type = LakeCommand.self
        if let name = arguments.first, let named = configuration.subcommands.first(where: { $0._commandName == name }) {
            root = named
            arguments.removeFirst()
        }
        do {
            var command: ParsableCommand
            do {
                command = try root.parseAsRoot(arguments)
            } catch where root != LakeCommand.self && arguments.isEmpty {
                // Given nothing, a root answers with its whole help; from here, the error
                // names what is missing, as for any other mistake.
                let name = root._commandName
                root = LakeCommand.self
                command = try parseAsRoot([name])
            }
            try command.run()
            return 0
        } catch let failure as LakeFailure {
            Output.error("\(failure)")
            return failure.category.rawValue
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            let code = root.exitCode(for: error)
            if code == .success {
                print(root.fullMessage(for: error))
                return 0
            }
            var message = root.fullMessage(for: error)
            if root != LakeCommand.self {
                // ArgumentParser leaves the super-command out of its "See 'NAME --help'" hint.
                message = message.replacingOccurrences(of: "  See '\(root._commandName)", with: "  See 'lake \(root._commandName)")
            }
            Output.error(message.replacingOccurrences(of: "Error: ", with: ""))
            // ArgumentParser's own failures are the caller's words: usage (2), not EX_USAGE (64).
            return code == .validationFailure ? ErrorCategory.usage.rawValue : ErrorCategory.failure.rawValue
        }
    }
}

extension CommandConfiguration {
    /// The configuration of a command under `lake`, which `LakeCommand.runMain` parses as a root
    /// of its own: `lake` is its super-command, so that its help and errors read `lake NAME`
    /// (a root without one would also run the completion-script check), and it answers
    /// `--version` as `lake` does.
    static func lakeSubcommand(_ name: String, abstract: String, discussion: String = "",
                               subcommands: [ParsableCommand.Type] = []) -> CommandConfiguration {
        CommandConfiguration(commandName: name, _superCommandName: "lake", abstract: abstract, discussion: discussion,
                             version: LakeFormat.toolVersion, subcommands: subcommands)
    }
}

extension LakeCommand {
    /// The lakes this process opened (`GlobalOptions.openLake`), held until it exits. Releasing
    /// a catalog runs GRDB's teardown, whose first use of NotificationCenter cost 1.1M
    /// instructions, 3% of a commit; at exit the kernel closes the files and drops the locks,
    /// and `runMain` settles each catalog's WAL first, as its release would have.
    nonisolated(unsafe) static var opened = [Lake]()

    /// `lake --lake X ls` reads as `lake ls --lake X`: global options written before the
    /// subcommand move to just after the words that name it (`retention apply`), not to the
    /// end, where `--` may end the options.
    static func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
        var leading = [String]()
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--json" || first == "--quiet" {
                leading.append(first)
                rest = rest.dropFirst()
            } else if first == "--lake", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--lake=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        let words = rest.prefix { !$0.hasPrefix("-") }
        return Array(words) + leading + rest.dropFirst(words.count)
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The lake: a .lake directory or the directory holding one (else $LAKE_DIR, else the nearest .lake/ upwards).", valueName: "PATH"))
    var lake: String?

    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    @Flag(name: .long, help: "Print nothing but errors and requested data.")
    var quiet = false

    /// Opens the lake; objects it lacks (a `--metadata-only` clone) come from its default remote.
    func openLake() throws -> Lake {
        let lake = try Lake.open(Lake.locate(explicit: lake))
        lake.store.source = RemoteSource.forLake(lake)
        LakeCommand.opened.append(lake)
        return lake
    }
}

/// Rendering helpers: the only place that writes to stdout and stderr.
enum Output {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("lake: error: \(message)\n".utf8))
    }

    /// A remark on stderr that is not an error.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("lake: note: \(message)\n".utf8))
    }

    static func line(_ text: String = "") {
        print(text)
    }

    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Columns padded to their widest cell; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// `1.2 MiB`.
    static func bytes<N: BinaryInteger>(_ n: N) -> String {
        var value = Double(n)
        for unit in ["B", "KiB", "MiB", "GiB", "TiB"] {
            if value < 1024 || unit == "TiB" { return unit == "B" ? "\(n) B" : String(format: "%.1f %@", value, unit) }
            value /= 1024
        }
        return "\(n) B"
    }

    /// `1 file`, `2 files`.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func short(_ id: String) -> String {
        String(id.dropFirst(ObjectID.scheme.count).prefix(12))
    }
}
