import ArgumentParser
import Foundation
import LakeCore
import LakeKit

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "exec",
        abstract: "Run one command as a recorded run: inputs from the lake, outputs into new versions.",
        discussion: """
            The command runs in a fresh work directory. Each input is a read-only directory named by \
            $LAKE_IN_<NAME>, each output an empty directory named by $LAKE_OUT_<NAME>; $LAKE_PARAMS \
            is a JSON file of the --param values and $LAKE_RUN_ID names the run. On success every \
            output becomes a new version of its dataset with lineage to the inputs. On failure the \
            run is recorded as failed, its directory is kept, and lake exits with the command's \
            status; --resume RUN continues it there.
            """)

    @Option(name: .customLong("in"), help: ArgumentHelp("An input: NAME=TARGET.", valueName: "NAME=TARGET"))
    var inputs: [String] = []

    @Option(name: .customLong("out"), help: ArgumentHelp("An output: NAME=DATASET or NAME=DATASET:KIND.", valueName: "NAME=DATASET[:KIND]"))
    var outputs: [String] = []

    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter for $LAKE_PARAMS: KEY=VALUE (JSON values stay JSON).", valueName: "KEY=VALUE"))
    var params: [String] = []

    @Option(name: .customLong("env"), help: ArgumentHelp("An environment variable to record (secrets are redacted).", valueName: "NAME"))
    var environment: [String] = []

    @Option(name: .shortAndLong, help: "Why this run happens.")
    var message: String?

    @Option(help: ArgumentHelp("Continue a failed run in its kept directory.", valueName: "RUN"))
    var resume: String?

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after '--'.")
    var command: [String] = []

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if resume == nil, command.isEmpty { throw ValidationError("give the command to run after '--', e.g. lake exec --out o=d -- ./step.sh") }
        do { _ = try plan() } catch let e as LakeFailure { throw ValidationError(e.description) }
    }

    func plan() throws -> ExecPlan {
        func split(_ text: String, _ what: String) throws -> (String, String) {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
                throw LakeError.invalidPlan("'\(text)' is not \(what)")
            }
            return (String(text[..<eq]), String(text[text.index(after: eq)...]))
        }
        let ins = try inputs.map { try split($0, "NAME=TARGET") }.map { ExecPlan.Input(name: $0.0, target: $0.1) }
        let outs = try outputs.map { try split($0, "NAME=DATASET[:KIND]") }.map { name, spec -> ExecPlan.Output in
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            return ExecPlan.Output(name: name, dataset: parts[0], kind: parts.count > 1 ? parts[1] : Kind.other.rawValue)
        }
        var values = [String: Any]()
        for p in params {
            let (key, value) = try split(p, "KEY=VALUE")
            values[key] = (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) ?? value
        }
        let json = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys, .withoutEscapingSlashes])
        return ExecPlan(command: command, inputs: ins, outputs: outs, params: String(decoding: json, as: UTF8.self),
                        environment: environment, message: message)
    }

    func run() throws {
        let lake = try global.openLake()
        var plan = try plan()
        if let resume {
            plan = try lake.keptPlan(of: resume)
        }
        let out = FileHandle.standardOutput, err = FileHandle.standardError
        let streams = global.json ? ExecStreams(stdout: { err.write(Data($0)) }, stderr: { err.write(Data($0)) })
                                  : ExecStreams(stdout: { out.write(Data($0)) }, stderr: { err.write(Data($0)) })
        let result = try lake.exec(plan, resuming: resume, streams: streams)
        try RunOutput.render(result, global: global)
        if result.run.status == "failed" {
            let code = result.run.exitCode ?? 1
            throw ExitCode(code == 0 ? 1 : code)  // the command succeeded but its outputs were refused
        }
    }
}

enum RunOutput {
    static func render(_ result: ExecResult, global: GlobalOptions) throws {
        if global.json { return try Output.json(result) }
        let run = result.run
        if run.status == "failed" {
            let why = run.exitCode == 0 ? (run.message ?? "its outputs were refused") : "exit status \(run.exitCode ?? -1)"
            Output.error("run \(run.id) failed (\(why)); its directory is kept in \(result.keptDirectory ?? "?"): resume with 'lake exec --resume \(run.id)'")
            return
        }
        if global.quiet { return }
        Output.line("run \(run.id) \(run.status) in \(String(format: "%.1f", Double(run.durationMs) / 1000)) s")
        for o in run.outputs {
            Output.line("  \(o.name): \(o.dataset)@\(o.version) \(o.snapshot)" + (o.created ? "" : " (unchanged)"))
        }
    }
}
