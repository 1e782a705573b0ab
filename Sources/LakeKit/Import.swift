import Foundation
import LakeCatalog
import LakeCore
import LakeStore
import Yams

/// How an existing artifact tree maps onto datasets and refs (`layouts/*.yaml`,
/// layouts/README.md): rules tried in order on every path under the root, the first that
/// matches decides, and a matched path is not descended into.
public struct ImportLayout: Sendable {
    public struct Rule: @unchecked Sendable {
        public enum PathType: String, Sendable { case dir, file, any }
        let pattern: NSRegularExpression
        let type: PathType
        /// Templates with `{group}` and `{root}` placeholders.
        let dataset: String?
        let kind: Kind?
        let time: String?
        let ref: String?
        let skip: Bool
    }

    public let name: String
    public let rules: [Rule]
    static let formatVersion = 1

    /// The built-in layouts by name (`layouts/*.yaml`, carried inside the binary).
    public static var builtInNames: [String] { builtInTexts.map(\.0) }

    public static func builtIn(_ name: String) throws -> ImportLayout? {
        try builtInTexts.first { $0.0 == name }.map { try parse($0.1, source: "layouts/\($0.0).yaml", name: $0.0) }
    }

    public static func parse(_ text: String, source: String, name: String) throws -> ImportLayout {
        func fail(_ line: Int?, _ problem: String) -> ImportError { .invalidLayout(source: source, line: line, problem: problem) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail(nil, "not valid YAML: \(error)") }
        guard let top = root?.mapping else { throw fail(1, "a layout is a mapping with 'version' and 'rules'") }
        for key in top.keys where !["version", "rules"].contains(key.string ?? "") {
            throw fail(key.mark?.line, "unknown key '\(key.string ?? "?")'; a layout has 'version' and 'rules'")
        }
        guard top["version"]?.int == formatVersion else { throw fail(1, "no 'version: \(formatVersion)': say which layout format this is") }
        guard let list = top["rules"]?.sequence, !list.isEmpty else { throw fail(1, "no 'rules' list") }
        let known: Set = ["match", "type", "dataset", "kind", "time", "ref", "skip"]
        let rules = try list.map { node -> Rule in
            let line = node.mark?.line
            guard let m = node.mapping else { throw fail(line, "each rule is a mapping") }
            for key in m.keys where !known.contains(key.string ?? "") {
                throw fail(key.mark?.line, "unknown key '\(key.string ?? "?")'; a rule takes \(known.sorted().joined(separator: ", "))")
            }
            guard let match = m["match"]?.string else { throw fail(line, "a rule needs 'match' (a regular expression over the path under ROOT)") }
            let pattern: NSRegularExpression
            do { pattern = try NSRegularExpression(pattern: match) } catch { throw fail(line, "'match' is not a regular expression: \(match)") }
            let typeText = m["type"]?.string ?? "any"
            guard let type = Rule.PathType(rawValue: typeText) else { throw fail(line, "'type' is dir, file or any, not '\(typeText)'") }
            let kind = try m["kind"]?.string.map { text -> Kind in
                guard let k = Kind(rawValue: text) else { throw fail(line, "'kind' is one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'") }
                return k
            }
            let skip = m["skip"]?.bool ?? false
            let rule = Rule(pattern: pattern, type: type, dataset: m["dataset"]?.string, kind: kind, time: m["time"]?.string,
                            ref: m["ref"]?.string, skip: skip)
            if !skip, rule.dataset == nil { throw fail(line, "a rule needs 'dataset' (or 'skip: true')") }
            return rule
        }
        return ImportLayout(name: name, rules: rules)
    }
}

/// One path of the tree and what it becomes.
public struct ImportEntry: Sendable, Codable, Equatable {
    /// Relative to the root.
    public var path: String
    public var dataset: String
    public var kind: String
    /// From the name (UTC), else the newest modification time in the path's tree.
    public var time: String
    /// For a `_current` pointer: the ref it becomes.
    public var ref: String?
    /// For a pointer that is a symlink: the path (relative to the root) it points at.
    public var pointsAt: String?
    /// After an import: the version that holds it, and whether the import made it.
    public var version: Int?
    public var created: Bool?
    public var refMoved: Bool?
}

/// What `lake import` finds (and, when run, did).
public struct ImportReport: Sendable, Codable, Equatable {
    public var root: String
    public var layout: String
    public var dryRun: Bool
    public var entries: [ImportEntry]
    /// Files and links no rule matched (unmatched directories are walked into).
    public var unmatched: [String]
}

extension Lake {
    /// Adopts the tree at `root` in place: versions in time order per dataset, then refs.
    /// Content a dataset already holds makes no version, and a ref already there does not
    /// move, so importing twice changes nothing.
    public func importTree(_ root: String, layout: ImportLayout, dryRun: Bool,
                           progress: ((ImportEntry) -> Void)? = nil) throws -> ImportReport {
        let base = URL(fileURLWithPath: root).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImportError.notADirectory(root)
        }
        var report = ImportReport(root: base, layout: layout.name, dryRun: dryRun, entries: [], unmatched: [])
        let realBase = FileIO.realPath(base) ?? base
        try walk(base, "", layout, rootName: FileIO.baseName(base), realBase: realBase, into: &report)
        // Versions before refs, each dataset's in time order (then by path).
        report.entries.sort { a, b in
            ((a.ref == nil ? 0 : 1), a.dataset, a.time, a.path) < ((b.ref == nil ? 0 : 1), b.dataset, b.time, b.path)
        }
        if dryRun { return report }
        // Ledgers first: one that shrank refuses the whole import before anything is recorded.
        for entry in report.entries where entry.ref == nil {
            let dataset = try DatasetName(entry.dataset)
            guard (try catalog.datasetKind(dataset) ?? Kind(rawValue: entry.kind)) == .ledger else { continue }
            try checkLedgerOnDisk(base + "/" + entry.path, dataset: dataset)
        }
        let lakeIdentity = FileIdentity(path: directory)
        for i in report.entries.indices {
            var entry = report.entries[i]
            let full = base + "/" + entry.path
            if lakeIdentity != nil, FileIdentity(path: full) == lakeIdentity { continue }
            let dataset = try DatasetName(entry.dataset)
            if let ref = entry.ref {
                let refName = try RefName(ref)
                // A pointer to an imported iteration names that version's snapshot; a pointer
                // that is a copy (or points elsewhere) is a version of its own dataset.
                let target: String
                if let to = entry.pointsAt, let version = report.entries.first(where: { $0.ref == nil && $0.path == to }) {
                    target = "dataset:\(version.dataset)@\(version.version ?? 0)"
                } else {
                    let made = try commit(path: full, dataset: dataset, kind: nil, message: "import \(entry.path)",
                                          origin: .imported(at: entry.time))
                    (entry.version, entry.created) = (made.record.version, made.record.created)
                    target = made.record.snapshot
                }
                let move = try promote(refName, to: target, expect: nil, message: "import \(entry.path)")
                entry.refMoved = move != nil
            } else {
                let kind = Kind(rawValue: entry.kind)
                let made = try commit(path: full, dataset: dataset, kind: kind, message: "import \(entry.path)",
                                      origin: .imported(at: entry.time))
                (entry.version, entry.created) = (made.record.version, made.record.created)
            }
            report.entries[i] = entry
            progress?(entry)
        }
        return report
    }

    /// `realBase` is the root with its links resolved: a link whose target is not below it
    /// leads out of the tree, and is not imported (it would take in files from anywhere, and a
    /// push would send them on).
    private func walk(_ base: String, _ relative: String, _ layout: ImportLayout, rootName: String, realBase: String,
                      into report: inout ImportReport) throws {
        let full = relative.isEmpty ? base : base + "/" + relative
        let names = try FileManager.default.contentsOfDirectory(atPath: full).sorted { String.utf8Precedes($0, $1) }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            guard let st = FileIO.lstat(base + "/" + path) else { continue }
            let kind = st.st_mode & S_IFMT
            let isLink = kind == S_IFLNK
            var isDirectory = kind == S_IFDIR
            if isLink, let target = try? FileManager.default.attributesOfItem(atPath: base + "/" + path)[.type] as? FileAttributeType {
                isDirectory = target == .typeDirectory
            }
            if path == ".lake" { continue }
            // Where a link leads, relative to the root; nil for a link out of it.
            var inside: String?
            if isLink {
                guard let target = FileIO.realPath(base + "/" + path), target.hasPrefix(realBase + "/") else {
                    report.unmatched.append(path)
                    continue
                }
                inside = String(target.dropFirst(realBase.count + 1))
            }
            if let (rule, groups) = layout.match(path, isDirectory: isDirectory) {
                if rule.skip { continue }
                func fill(_ template: String) -> String {
                    var out = template.replacingOccurrences(of: "{root}", with: rootName)
                    for (k, v) in groups { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
                    return out
                }
                let modified = isDirectory && !isLink ? Self.newestModification(base + "/" + path) : Int(st.st_mtim.tv_sec)
                var entry = ImportEntry(path: path, dataset: fill(rule.dataset ?? ""), kind: (rule.kind ?? .other).rawValue,
                                        time: Self.time(fill(rule.time ?? "")) ?? Timestamp.string(Date(timeIntervalSince1970: Double(modified))))
                if let ref = rule.ref {
                    entry.ref = fill(ref)
                    entry.pointsAt = inside
                }
                report.entries.append(entry)
            } else if isDirectory, !isLink {
                try walk(base, path, layout, rootName: rootName, realBase: realBase, into: &report)
            } else {
                report.unmatched.append(path)
            }
        }
    }

    /// The newest modification time (seconds) of anything in a tree: when a directory's content
    /// last changed, which a file appended inside it does not show on the directory itself.
    static func newestModification(_ path: String) -> Int {
        guard let st = FileIO.lstat(path) else { return 0 }
        var newest = Int(st.st_mtim.tv_sec)
        guard st.st_mode & S_IFMT == S_IFDIR else { return newest }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            newest = max(newest, newestModification(path + "/" + name))
        }
        return newest
    }

    /// `YYYYMMDDHHMMSS` (digits from a name) as a timestamp, read as UTC.
    static func time(_ digits: String) -> String? {
        let d = Array(digits.utf8)
        guard d.count == 14, d.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let s = String(decoding: d, as: UTF8.self)
        func part(_ from: Int, _ n: Int) -> String { String(s.dropFirst(from).prefix(n)) }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (Int(part(0, 4)), Int(part(4, 2)), Int(part(6, 2)))
        (components.hour, components.minute, components.second) = (Int(part(8, 2)), Int(part(10, 2)), Int(part(12, 2)))
        guard components.isValidDate(in: Calendar(identifier: .gregorian)),
              let date = Calendar(identifier: .gregorian).date(from: components) else { return nil }
        return Timestamp.string(date)
    }
}

extension ImportLayout {
    /// The first rule matching `path`, with its named groups.
    func match(_ path: String, isDirectory: Bool) -> (Rule, [String: String])? {
        let range = NSRange(path.startIndex..., in: path)
        for rule in rules {
            switch rule.type {
            case .dir where !isDirectory, .file where isDirectory: continue
            default: break
            }
            guard let m = rule.pattern.firstMatch(in: path, range: range) else { continue }
            var groups = [String: String]()
            for name in Self.groupNames(rule.pattern.pattern) {
                let r = m.range(withName: name)
                groups[name] = r.location == NSNotFound ? "" : Range(r, in: path).map { String(path[$0]) } ?? ""
            }
            return (rule, groups)
        }
        return nil
    }

    static func groupNames(_ pattern: String) -> [String] {
        let finder = try! NSRegularExpression(pattern: "\\(\\?<([A-Za-z][A-Za-z0-9]*)>")
        return finder.matches(in: pattern, range: NSRange(pattern.startIndex..., in: pattern)).compactMap {
            Range($0.range(at: 1), in: pattern).map { String(pattern[$0]) }
        }
    }
}

public enum ImportError: LakeFailure {
    case invalidLayout(source: String, line: Int?, problem: String)
    case unknownLayout(String, known: [String])
    case notADirectory(String)

    public var category: ErrorCategory {
        switch self {
        case .invalidLayout, .unknownLayout: return .usage
        case .notADirectory: return .notFound
        }
    }

    public var description: String {
        switch self {
        case .invalidLayout(let source, let line, let problem):
            return "\(source)\(line.map { ":\($0)" } ?? ""): \(problem) (layouts/README.md describes the format)"
        case .unknownLayout(let name, let known):
            return "no layout '\(name)': give one of \((["auto"] + known).joined(separator: ", ")), or a layout file's path"
        case .notADirectory(let path):
            return "\(path) is not a directory; import takes the root of an existing artifact tree"
        }
    }
}
