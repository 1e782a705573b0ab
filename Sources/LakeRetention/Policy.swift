import Foundation
import LakeCore
import Yams

/// A retention policy (`retention/*.yaml`, docs/retention.md): rules per dataset pattern that
/// say which versions to keep; every other version is archived.
///
/// ```yaml
/// version: 1
/// rules:
///   - datasets: "runs/*"
///     keep_last: 3
///     keep_younger_than: 14d
/// ```
public struct Policy: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// A glob over dataset names; the first rule whose pattern matches a dataset applies.
        public var datasets: String
        public var keepLast: Int?
        /// Seconds.
        public var keepYoungerThan: Int64?
        /// One version (the newest) per UTC day for this many seconds back.
        public var keepDailyFor: Int64?
        /// One version (the newest) per ISO week for this many seconds back.
        public var keepWeeklyFor: Int64?
        public var keepRefTargets: Bool
        /// Also keep what ref targets were made from, this many runs up.
        public var keepLineageDepth: Int
        /// Keep versions that runs used as inputs within this many seconds.
        public var keepUsedByRunsWithin: Int64?
        public var line: Int
    }

    public static let formatVersion = 1
    public var rules: [Rule]
    /// Where it came from, for messages.
    public var source: String

    public func rule(for dataset: String) -> Rule? {
        rules.first { fnmatch($0.datasets, dataset, 0) == 0 }
    }

    /// Parses and checks a policy: unknown keys, negative counts and unparseable durations are
    /// errors naming the line.
    public static func parse(_ text: String, source: String) throws -> Policy {
        func fail(_ line: Int?, _ problem: String) -> PolicyError { .invalid(source: source, line: line, problem: problem) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail(nil, "not valid YAML: \(error)") }
        guard let top = root?.mapping else { throw fail(1, "a policy is a mapping with 'version' and 'rules'") }
        for (key, _) in top where !["version", "rules"].contains(key.string ?? "") {
            throw fail(key.mark?.line, "unknown key '\(key.string ?? "?")'; a policy has 'version' and 'rules'")
        }
        guard let v = top["version"] else { throw fail(1, "no 'version: \(formatVersion)': say which policy format this is") }
        if v.int != formatVersion {
            throw fail(v.mark?.line, "policy version \(v.string ?? "?") is not one this lake reads (\(formatVersion))")
        }
        guard let list = top["rules"]?.sequence else { throw fail(1, "no 'rules' list") }
        var rules = [Rule]()
        let known: Set = ["datasets", "keep_last", "keep_younger_than", "keep_daily_for", "keep_weekly_for", "keep_ref_targets",
                          "keep_lineage_depth", "keep_used_by_runs_within"]
        for node in list {
            guard let m = node.mapping else { throw fail(node.mark?.line, "each rule is a mapping") }
            let line = node.mark?.line ?? 0
            for (key, _) in m where !known.contains(key.string ?? "") {
                throw fail(key.mark?.line, "unknown key '\(key.string ?? "?")'; a rule takes \(known.sorted().joined(separator: ", "))")
            }
            guard let pattern = m["datasets"]?.string, !pattern.isEmpty else { throw fail(line, "a rule needs 'datasets' (a glob such as runs/*)") }
            func count(_ key: String) throws -> Int? {
                guard let n = m[key] else { return nil }
                guard let v = n.int, n.tag.rawValue == Tag.Name.int.rawValue, v >= 0 else {
                    throw fail(n.mark?.line, "'\(key)' must be a whole number of 0 or more, not '\(n.string ?? "?")'")
                }
                return v
            }
            func duration(_ key: String) throws -> Int64? {
                guard let n = m[key] else { return nil }
                guard let s = n.string, let seconds = Self.seconds(s) else {
                    throw fail(n.mark?.line, "'\(key)' must be a duration such as 90m, 36h, 14d or 8w, not '\(n.string ?? "?")'")
                }
                return seconds
            }
            var keepRefs = true
            if let n = m["keep_ref_targets"] {
                guard let b = n.bool, n.tag.rawValue == Tag.Name.bool.rawValue else { throw fail(n.mark?.line, "'keep_ref_targets' is true or false") }
                keepRefs = b
            }
            rules.append(Rule(datasets: pattern, keepLast: try count("keep_last"), keepYoungerThan: try duration("keep_younger_than"),
                              keepDailyFor: try duration("keep_daily_for"), keepWeeklyFor: try duration("keep_weekly_for"),
                              keepRefTargets: keepRefs, keepLineageDepth: try count("keep_lineage_depth") ?? 0,
                              keepUsedByRunsWithin: try duration("keep_used_by_runs_within"), line: line))
        }
        return Policy(rules: rules, source: source)
    }

    /// `90s`, `90m`, `36h`, `14d`, `8w` in seconds.
    public static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86400
        case "w": return n * 604_800
        default: return nil
        }
    }
}

/// Errors of retention policies.
public enum PolicyError: LakeFailure, Equatable {
    case invalid(source: String, line: Int?, problem: String)
    case unreadable(String)

    public var category: ErrorCategory {
        switch self {
        case .invalid: return .usage
        case .unreadable: return .notFound
        }
    }

    public var description: String {
        switch self {
        case .invalid(let source, let line, let problem):
            return "\(source)\(line.map { ":\($0)" } ?? ""): \(problem)"
        case .unreadable(let path):
            return "cannot read policy file \(path); give one with --policy FILE (retention/README.md shows the format)"
        }
    }
}
