import Foundation
import LakeCore

/// What the planner sees of a lake: a pure value, so plans are reproducible and testable.
public struct RetentionInput: Codable, Sendable, Equatable {
    public struct Version: Codable, Sendable, Equatable {
        public var dataset: String
        public var version: Int
        public var snapshot: String
        public var createdAt: String
        public var bytes: Int64
        public var archived: Bool

        public init(dataset: String, version: Int, snapshot: String, createdAt: String, bytes: Int64, archived: Bool) {
            (self.dataset, self.version, self.snapshot, self.createdAt, self.bytes, self.archived) = (dataset, version, snapshot, createdAt, bytes, archived)
        }
    }

    public var versions: [Version]
    /// Snapshot → the refs pointing at it.
    public var refTargets: [String: [String]]
    /// Snapshot → the input snapshots of the runs that made it (one step of lineage up).
    public var madeFrom: [String: [String]]
    /// Snapshot → when a run last started with it as an input.
    public var lastUsedByRun: [String: String]
    public var now: String

    public init(versions: [Version], refTargets: [String: [String]], madeFrom: [String: [String]], lastUsedByRun: [String: String], now: String) {
        (self.versions, self.refTargets, self.madeFrom, self.lastUsedByRun, self.now) = (versions, refTargets, madeFrom, lastUsedByRun, now)
    }
}

/// The planner's word on one version.
public struct RetentionDecision: Codable, Sendable, Equatable {
    /// `keep`, `archive` (to be archived) or `archived` (archived already, nothing keeps it).
    public var action: String
    public var dataset: String
    public var version: Int
    public var snapshot: String
    public var bytes: Int64
    /// Why it is kept (every rule that keeps it), or why it goes.
    public var reasons: [String]
}

/// Retention as a pure function: (versions, refs, lineage, runs, policy, now) → keep or
/// archive, with reasons. No I/O: `lake retention plan|apply` gather the input and act.
public enum RetentionPlanner {
    public static func plan(_ input: RetentionInput, policy: Policy) -> [RetentionDecision] {
        let now = Timestamp.date(input.now) ?? Date()
        let byDataset = Dictionary(grouping: input.versions, by: \.dataset)
        let lineage = lineageOfRefTargets(input, policy: policy)
        var decisions = [RetentionDecision]()
        for dataset in byDataset.keys.sorted() {
            let versions = byDataset[dataset]!.sorted { $0.version > $1.version }
            guard let rule = policy.rule(for: dataset) else {
                decisions += versions.map { decision("keep", $0, ["no rule of \(policy.source) matches \(dataset)"]) }
                continue
            }
            var newestOfDay = Set<Int>(), newestOfWeek = Set<Int>()
            var seenDays = Set<String>(), seenWeeks = Set<String>()
            for v in versions {
                guard let created = Timestamp.date(v.createdAt) else { continue }
                let age = now.timeIntervalSince(created)
                if let span = rule.keepDailyFor, age <= Double(span), seenDays.insert(String(v.createdAt.prefix(10))).inserted {
                    newestOfDay.insert(v.version)
                }
                if let span = rule.keepWeeklyFor, age <= Double(span), seenWeeks.insert(isoWeek(created)).inserted {
                    newestOfWeek.insert(v.version)
                }
            }
            for (rank, v) in versions.enumerated() {
                var reasons = [String]()
                if let n = rule.keepLast, rank < n { reasons.append("one of the last \(n)") }
                if let span = rule.keepYoungerThan, let created = Timestamp.date(v.createdAt), now.timeIntervalSince(created) < Double(span) {
                    reasons.append("younger than \(format(span))")
                }
                if newestOfDay.contains(v.version) { reasons.append("newest of \(v.createdAt.prefix(10)) (daily for \(format(rule.keepDailyFor!)))") }
                if newestOfWeek.contains(v.version), let created = Timestamp.date(v.createdAt) {
                    reasons.append("newest of week \(isoWeek(created)) (weekly for \(format(rule.keepWeeklyFor!)))")
                }
                if rule.keepRefTargets, let refs = input.refTargets[v.snapshot] { reasons.append("target of ref \(refs.sorted().joined(separator: ", "))") }
                if let (ref, depth) = lineage[v.snapshot] { reasons.append("made \(ref)'s target, \(depth) run\(depth == 1 ? "" : "s") up") }
                if let span = rule.keepUsedByRunsWithin, let used = input.lastUsedByRun[v.snapshot], let at = Timestamp.date(used),
                   now.timeIntervalSince(at) < Double(span) {
                    reasons.append("used by a run at \(used)")
                }
                if !reasons.isEmpty {
                    decisions.append(decision("keep", v, reasons))
                } else {
                    decisions.append(decision(v.archived ? "archived" : "archive", v, ["no rule of \(rule.datasets) (line \(rule.line)) keeps it"]))
                }
            }
        }
        return decisions
    }

    private static func decision(_ action: String, _ v: RetentionInput.Version, _ reasons: [String]) -> RetentionDecision {
        RetentionDecision(action: action, dataset: v.dataset, version: v.version, snapshot: v.snapshot, bytes: v.bytes, reasons: reasons)
    }

    /// What ref targets were made from, in any dataset: each target's lineage is followed as
    /// many runs up as the rule of the target's dataset says (`keep_lineage_depth`), so "keep
    /// MERGED and what made it" is said once, on the rule for MERGED's dataset.
    /// Snapshot → (ref, runs up).
    static func lineageOfRefTargets(_ input: RetentionInput, policy: Policy) -> [String: (String, Int)] {
        var out = [String: (String, Int)]()
        for (target, refs) in input.refTargets.sorted(by: { $0.key < $1.key }) {
            let depth = input.versions.filter { $0.snapshot == target }.compactMap { policy.rule(for: $0.dataset)?.keepLineageDepth }.max() ?? 0
            guard depth > 0 else { continue }
            var frontier = [target]
            for d in 1 ... depth {
                frontier = frontier.flatMap { input.madeFrom[$0] ?? [] }.filter { out[$0] == nil && $0 != target }
                for s in frontier { out[s] = (refs.sorted()[0], d) }
            }
        }
        return out
    }

    static func isoWeek(_ date: Date) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return "\((c.yearForWeekOfYear ?? 0).zeroPadded(4))-W\((c.weekOfYear ?? 0).zeroPadded(2))"
    }

    static func format(_ seconds: Int64) -> String {
        for (unit, size) in [("w", Int64(604_800)), ("d", 86400), ("h", 3600), ("m", 60)] where seconds % size == 0 && seconds >= size {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
