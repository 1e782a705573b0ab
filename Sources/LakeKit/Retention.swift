import Foundation
import LakeCatalog
import LakeCore
import LakeRetention

/// A retention plan with what it would free.
public struct RetentionReport: Codable, Sendable, Equatable {
    public var policy: String
    public var decisions: [RetentionDecision]
    /// Bytes of objects that only the versions to archive use: what gc frees once they are archived.
    public var bytesFreed: Int64
    /// Archives written by `apply`.
    public var archived: [String]
}

extension Lake {
    /// Reads a policy file, or the default policy carried by the binary.
    public static func policy(at path: String?) throws -> Policy {
        guard let path else { return try Policy.parse(Policy.defaultText, source: "retention/default.yaml") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw PolicyError.unreadable(path) }
        return try Policy.parse(text, source: path)
    }

    /// What the policy keeps and archives now, and why.
    public func retentionPlan(_ policy: Policy, now: Date = Date()) throws -> RetentionReport {
        let facts = try catalog.retentionFacts()
        let input = RetentionInput(versions: facts.versions.map { .init(dataset: $0.dataset, version: $0.version, snapshot: $0.snapshot,
                                                                         createdAt: $0.createdAt, bytes: $0.bytes, archived: $0.archived) },
                                   refTargets: facts.refTargets, madeFrom: facts.madeFrom, lastUsedByRun: facts.lastUsedByRun,
                                   now: Timestamp.string(now))
        let decisions = RetentionPlanner.plan(input, policy: policy)
        let leaving = decisions.filter { $0.action != "keep" }.map(\.snapshot)
        let staying = decisions.filter { $0.action == "keep" }.map(\.snapshot)
        return RetentionReport(policy: policy.source, decisions: decisions,
                               bytesFreed: try catalog.bytesOnlyIn(leaving, notIn: staying), archived: [])
    }

    /// Archives every version the plan does not keep (each verified before it is recorded). A
    /// second apply finds them archived and does nothing. Objects are dropped by gc, not here.
    public func retentionApply(_ policy: Policy, level: Int32 = 3, now: Date = Date()) throws -> RetentionReport {
        var report = try retentionPlan(policy, now: now)
        for d in report.decisions where d.action == "archive" {
            let (record, created) = try archive("\(d.dataset)@\(d.version)", level: level)
            if created, !report.archived.contains(record.archive) { report.archived.append(record.archive) }
        }
        return report
    }
}
