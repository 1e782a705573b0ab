import ArgumentParser
import CSV
import Foundation
import LakeKit
import LakeQuery

/// Options shared by `query` and `promote --gate`: data tables and parameters.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("table"), help: ArgumentHelp("Load a snapshot's CSV/JSON-lines files as a table: NAME=TARGET or NAME=TARGET:GLOB.", valueName: "NAME=TARGET[:GLOB]"))
    var tables: [String] = []

    @Option(name: .customLong("param"), help: ArgumentHelp("Bind :KEY in the SQL to VALUE.", valueName: "KEY=VALUE"))
    var params: [String] = []

    func parsedParams() throws -> [String: String] {
        var out = [String: String]()
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw ValidationError("--param takes KEY=VALUE, not '\(p)'") }
            out[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return out
    }

    /// Loads every --table; `aliases` maps `:candidate`/`:current` to snapshot ids for gates.
    func load(into engine: QueryEngine, aliases: [String: String] = [:]) throws -> [LoadedTable] {
        try tables.map { spec in
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw ValidationError("--table takes NAME=TARGET[:GLOB], not '\(spec)'")
            }
            let name = String(spec[..<eq])
            var rest = String(spec[spec.index(after: eq)...])
            for (alias, id) in aliases where rest == alias || rest.hasPrefix(alias + ":") { rest = id + rest.dropFirst(alias.count) }
            if rest.hasPrefix(":") { throw ValidationError("'\(rest)' names nothing here (:current is empty for a new ref)") }
            let (target, glob) = Lake.splitTargetPath(rest)
            return try engine.loadTable(name, target: target, glob: glob)
        }
    }
}

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "query",
        abstract: "Run read-only SQL over the catalog's views and over tables loaded from snapshots.",
        discussion: """
            The catalog's tables and views (datasets, versions, version_details, snapshots, \
            snapshot_files, refs, ref_log, ref_moves, runs, run_inputs, run_outputs, lineage, \
            archives; docs/catalog.md) are there to read; nothing can be written, attached or \
            changed. --table loads CSV and JSON-lines files of a snapshot as a table (JSON lines \
            keep each line in _raw for json_extract). --named runs a query of catalog/queries/.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json, jsonl }

    @Argument(help: "The SQL (one statement).")
    var sql: String?

    @Option(help: "Run a named query (see --list).")
    var named: String?

    @Flag(help: "List the named queries.")
    var list = false

    @OptionGroup var data: DataOptions

    @Option(help: "table, csv, json or jsonl.")
    var format: Format = .table

    @Flag(help: "Do not truncate wide columns in tables.")
    var wide = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !list, (sql == nil) == (named == nil) { throw ValidationError("give SQL or --named NAME (one of them), or --list") }
    }

    func run() throws {
        if list {
            if global.json { return try Output.json(NamedQuery.all.map { ["name": $0.name, "description": $0.description] }) }
            return Output.table(["NAME", "WHAT IT ANSWERS"], NamedQuery.all.map { [$0.name, $0.description] })
        }
        let engine = try QueryEngine(lake: global.openLake())
        for table in try data.load(into: engine) where table.errors > 0 {
            Output.note("table \(table.name): \(table.errors) line(s) or file(s) did not parse and were left out")
        }
        let text = try named.map { try NamedQuery.named($0).sql } ?? sql!
        let result = try engine.query(text, params: data.parsedParams())
        try QueryOutput.render(result, format: global.json ? .json : format, wide: wide)
    }
}

enum QueryOutput {
    static func render(_ result: QueryResult, format: Query.Format, wide: Bool) throws {
        switch format {
        case .table:
            let limit = wide ? Int.max : 48
            Output.table(result.columns, result.rows.map { $0.map { cell in
                let s = cell == .null ? "NULL" : cell.text.replacingOccurrences(of: "\n", with: "\\n")
                return s.count > limit ? String(s.prefix(limit - 1)) + "…" : s
            } })
        case .csv:
            let stream = OutputStream(toMemory: ())
            let writer = try CSVWriter(stream: stream)
            try writer.write(row: result.columns)
            for row in result.rows { try writer.write(row: row.map(\.text)) }
            writer.stream.close()
            let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        case .json:
            try Output.json(result.rows.map { Dictionary(zip(result.columns, $0), uniquingKeysWith: { a, _ in a }) })
        case .jsonl:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for row in result.rows {
                print(String(decoding: try encoder.encode(Dictionary(zip(result.columns, row), uniquingKeysWith: { a, _ in a })), as: UTF8.self))
            }
        }
    }
}
