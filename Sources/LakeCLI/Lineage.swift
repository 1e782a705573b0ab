import ArgumentParser
import LakeCatalog
import LakeKit

struct Lineage: ParsableCommand {
    static let configuration = CommandConfiguration.lakeSubcommand(
        "lineage",
        abstract: "Show where a snapshot came from (--up, the default) or what was made from it (--down).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case tree, dot, json }

    @Argument(help: "TARGET.")
    var target: String

    @Flag(help: "Towards the inputs (default).")
    var up = false

    @Flag(help: "Towards what was made from it.")
    var down = false

    @Option(help: "How many runs to walk.")
    var depth = 20

    @Option(help: "tree, dot (Graphviz) or json.")
    var format: Format = .tree

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if up && down { throw ValidationError("give --up or --down, not both") }
        if depth < 1 { throw ValidationError("--depth must be at least 1") }
    }

    func run() throws {
        let graph = try global.openLake().lineage(target, direction: down ? .down : .up, depth: depth)
        switch global.json ? .json : format {
        case .json: try Output.json(graph)
        case .dot: LineageText.dot(graph).forEach { Output.line($0) }
        case .tree: LineageText.tree(graph).forEach { Output.line($0) }
        }
    }
}

/// Renders a lineage graph as an indented tree or as Graphviz DOT.
enum LineageText {
    static func label(_ snapshot: String, _ graph: LakeCatalog.Lineage) -> String {
        let names = graph.names[snapshot] ?? []
        return Output.short(snapshot) + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))")
    }

    static func tree(_ graph: LakeCatalog.Lineage) -> [String] {
        var lines = [label(graph.root, graph)]
        var seen = Set<String>()
        var path = [graph.root]
        func walk(_ snapshot: String, _ prefix: String) {
            let steps = graph.steps.filter { step in
                (graph.direction == .up ? step.outputs : step.inputs).contains { $0.snapshot == snapshot }
            }
            for (i, step) in steps.enumerated() {
                let last = i == steps.count - 1
                let runLine = "\(step.run) \(step.stage.map { "stage \($0), " } ?? "")\(step.status)"
                lines.append(prefix + (last ? "└─ " : "├─ ") + runLine)
                let childPrefix = prefix + (last ? "   " : "│  ")
                let next = graph.direction == .up ? step.inputs : step.outputs
                guard seen.insert(step.run).inserted else {
                    if !next.isEmpty { lines.append(childPrefix + "└─ … (shown above)") }
                    continue
                }
                for (j, item) in next.enumerated() {
                    let lastItem = j == next.count - 1
                    lines.append(childPrefix + (lastItem ? "└─ " : "├─ ") + "\(item.name): " + label(item.snapshot, graph))
                    // A run whose output equals an input (a copy) would lead back here.
                    guard !path.contains(item.snapshot) else { continue }
                    path.append(item.snapshot)
                    walk(item.snapshot, childPrefix + (lastItem ? "   " : "│  "))
                    path.removeLast()
                }
            }
        }
        walk(graph.root, "")
        return lines
    }

    static func dot(_ graph: LakeCatalog.Lineage) -> [String] {
        var lines = ["digraph lineage {", "  rankdir=LR;"]
        var snapshots = Set([graph.root])
        for step in graph.steps { snapshots.formUnion(step.inputs.map(\.snapshot) + step.outputs.map(\.snapshot)) }
        for s in snapshots.sorted() {
            lines.append("  \"\(s)\" [shape=box, label=\"\(escape(label(s, graph)))\"];")
        }
        for step in graph.steps {
            // `\n` in a DOT label is a line break: escape the parts, not the break.
            lines.append("  \"\(step.run)\" [shape=ellipse, label=\"\(escape(step.run))\(step.stage.map { "\\n" + escape($0) } ?? "")\"];")
            for i in step.inputs { lines.append("  \"\(i.snapshot)\" -> \"\(step.run)\" [label=\"\(escape(i.name))\"];") }
            for o in step.outputs { lines.append("  \"\(step.run)\" -> \"\(o.snapshot)\" [label=\"\(escape(o.name))\"];") }
        }
        lines.append("}")
        return lines
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
