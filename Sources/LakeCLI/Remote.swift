import ArgumentParser
import Foundation
import LakeCore
import LakeKit
import LakeRemote

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "remote",
        abstract: "Name S3 locations that hold shared lakes.",
        discussion: "Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), else ~/.aws/credentials; they are never stored.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a remote.")

        @Argument(help: "The remote's name, e.g. origin.")
        var name: String

        @Argument(help: "s3://BUCKET/PREFIX")
        var url: String

        @Option(help: ArgumentHelp("The S3 server, e.g. http://127.0.0.1:7480 (default: AWS).", valueName: "URL"))
        var endpoint: String?

        @Option(help: "The bucket's region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1).")
        var region: String?

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try RemoteConfig(name: name, url: url, endpoint: endpoint, region: region)
            try Remotes(global.openLake()).add(config)
            if global.json { return try Output.json(config) }
            if !global.quiet { Output.line("added remote \(name): \(url)\(endpoint.map { " at \($0)" } ?? "")") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the remotes.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let all = try Remotes(global.openLake()).all()
            if global.json { return try Output.json(all) }
            Output.table(["NAME", "URL", "ENDPOINT", "REGION"],
                         all.map { [$0.name, $0.url, $0.endpoint ?? "(AWS)", $0.resolvedRegion()] })
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a remote (its bucket is not touched).")

        @Argument(help: "The remote's name.")
        var name: String

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try Remotes(global.openLake()).remove(name)
            if global.json { return try Output.json(["removed": name]) }
            if !global.quiet { Output.line("removed remote \(name)") }
        }
    }
}

/// `[REMOTE] [REF|DATASET...]`: the first word is a remote when one has that name.
struct TransferArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("The remote (default: origin, or the only one), then refs and datasets.", valueName: "REMOTE|REF|DATASET"))
    var words: [String] = []

    func resolve(_ remotes: Remotes, all: Bool = false) throws -> (RemoteConfig, Selection) {
        var names = words
        let config: RemoteConfig
        if let first = names.first, (try? remotes.config(named: first)) != nil {
            config = try remotes.config(named: names.removeFirst())
        } else {
            config = try remotes.resolve(nil)
        }
        if all && !names.isEmpty { throw ValidationError("--all and names exclude each other") }
        return (config, names.isEmpty ? .all : .names(names))
    }
}

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "push",
        abstract: "Send what a remote lacks: objects, catalog records, archives and refs.",
        discussion: "Without names, everything. A ref that moved on the remote since this lake last saw it stops the push (exit 5): pull first. An interrupted push can be run again; what arrived is not sent again.")

    @OptionGroup var transfer: TransferArguments

    @Flag(help: "Everything (the default without names).")
    var all = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let lake = try global.openLake()
        let remotes = Remotes(lake)
        let (config, selection) = try transfer.resolve(remotes, all: all)
        let progress = ProgressLine.forTerminal(global, label: "pushing bytes")
        let report = try remotes.open(config).push(lake, selection: selection) { progress?.update(Int($0), Int($1)) }
        progress?.finish()
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        if report.records == 0 && report.objects == 0 && report.refs.isEmpty { return Output.line("\(config.name) is up to date") }
        PullOutput.line("pushed to \(config.name) (\(report.url)):", [Output.count(report.records, "record")], objects: report.objects,
                        bytes: report.bytes, archives: report.archives, refs: report.refs)
    }
}

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "pull",
        abstract: "Bring what this lake lacks from a remote, each object verified as it arrives.",
        discussion: "Without names, everything. Records that contradict this lake (another snapshot under the same version number, a ref moved apart) merge nothing: exit 5.")

    @OptionGroup var transfer: TransferArguments

    @Flag(help: "Bring the catalog and manifests, not the files' contents: reads fetch those when needed.")
    var metadataOnly = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let lake = try global.openLake()
        let remotes = Remotes(lake)
        var (config, selection) = try transfer.resolve(remotes)
        if metadataOnly, config.fetchOnDemand != true {
            config.fetchOnDemand = true
            try remotes.write(config)
        }
        let report = try PullOutput.pull(lake, remote: remotes.open(config), selection: selection, metadataOnly: metadataOnly, global: global)
        if !metadataOnly, case .all = selection, config.fetchOnDemand == true {
            // Everything is here now: reads need the remote no more.
            config.fetchOnDemand = nil
            try remotes.write(config)
        }
        try PullOutput.render(report, verb: "pulled from", global: global)
    }
}

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "clone",
        abstract: "Make a new lake from a remote; the remote becomes its 'origin'.")

    @Argument(help: "s3://BUCKET/PREFIX")
    var url: String

    @Argument(help: "The directory to make the lake in.")
    var dir: String

    @Flag(help: "Bring the catalog and manifests, not the files' contents: checkout, cat, exec and reproduce fetch those when needed.")
    var metadataOnly = false

    @Option(help: ArgumentHelp("The S3 server, e.g. http://127.0.0.1:7480 (default: AWS).", valueName: "URL"))
    var endpoint: String?

    @Option(help: "The bucket's region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1).")
    var region: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let config = try RemoteConfig(name: "origin", url: url, endpoint: endpoint, region: region, fetchOnDemand: metadataOnly)
        let lakeDir = URL(fileURLWithPath: dir).standardizedFileURL.path + "/.lake"
        if FileManager.default.fileExists(atPath: lakeDir) { throw RemoteError.cloneTargetExists(dir) }
        let (lake, _) = try Lake.initialize(in: dir)
        do {
            let remotes = Remotes(lake)
            try remotes.add(config)
            lake.store.source = RemoteSource.forLake(lake)
            let report = try PullOutput.pull(lake, remote: remotes.open(config), selection: .all, metadataOnly: metadataOnly, global: global)
            try PullOutput.render(report, verb: "cloned", global: global)
        } catch {
            // A clone that failed leaves nothing behind.
            try? FileManager.default.removeItem(atPath: lakeDir)
            throw error
        }
    }
}

enum PullOutput {
    static func pull(_ lake: Lake, remote: Remote, selection: Selection, metadataOnly: Bool, global: GlobalOptions) throws -> PullReport {
        let progress = ProgressLine.forTerminal(global, label: "pulling bytes")
        defer { progress?.finish() }
        return try remote.pull(into: lake, selection: selection, metadataOnly: metadataOnly) { progress?.update(Int($0), Int($1)) }
    }

    static func render(_ report: PullReport, verb: String, global: GlobalOptions) throws {
        if global.json { return try Output.json(report) }
        if global.quiet { return }
        if report.records == 0 && report.objects == 0 && report.archives == 0 { return Output.line("up to date with \(report.remote)") }
        line("\(verb) \(report.url):", [Output.count(report.records, "record"), Output.count(report.snapshots, "snapshot")],
             objects: report.objects, bytes: report.bytes, archives: report.archives, refs: report.refs)
    }

    /// `VERB URL: N records, N objects (SIZE), N archives; moved REFS` (push and pull alike).
    static func line(_ head: String, _ counts: [String], objects: Int, bytes: UInt64, archives: Int, refs: [String]) {
        var line = head + " " + (counts + ["\(Output.count(objects, "object")) (\(Output.bytes(bytes)))"]).joined(separator: ", ")
        if archives > 0 { line += ", \(Output.count(archives, "archive"))" }
        if !refs.isEmpty { line += "; moved \(refs.joined(separator: ", "))" }
        Output.line(line)
    }
}
