import Foundation
import GRDB
import LakeCore

/// The part of the lineage graph (snapshot → run → snapshot) around one snapshot.
public struct Lineage: Codable, Equatable, Sendable {
    public enum Direction: String, Codable, Sendable {
        /// Towards the inputs that made the snapshot, and theirs.
        case up
        /// Towards what was made from the snapshot.
        case down
    }

    /// A run of the graph with every input and output it has.
    public struct Step: Codable, Equatable, Sendable {
        public var run: String
        public var stage: String?
        public var status: String
        public var startedAt: String
        public var inputs: [RunRecord.Input]
        public var outputs: [RunRecord.Input]
    }

    public var root: String
    public var direction: Direction
    public var depth: Int
    /// The runs reached, ordered by start time.
    public var steps: [Step]
    /// For every snapshot reached: the versions that hold it, as `dataset@N`.
    public var names: [String: [String]]
}

extension Catalog {
    /// Walks the lineage from `root` for up to `depth` runs, with one recursive query for the
    /// snapshots reached and one for the runs between them (not one query per node). Only
    /// succeeded runs make lineage: a cached run reuses another's outputs (its `reuses`), a
    /// failed one made none.
    public func lineage(of root: SnapshotID, direction: Lineage.Direction, depth: Int) throws -> Lineage {
        try read { db in
            // up: from a snapshot to the runs that output it, to their inputs; down: the reverse.
            let (near, far) = direction == .up ? ("run_outputs", "run_inputs") : ("run_inputs", "run_outputs")
            let reached = try Row.fetchAll(db, sql: """
                WITH RECURSIVE walk(snapshot, depth) AS (
                    SELECT ?1, 0
                    UNION
                    SELECT f.snapshot_id, w.depth + 1
                    FROM walk w
                    JOIN \(near) n ON n.snapshot_id = w.snapshot
                    JOIN runs r ON r.id = n.run_id AND r.status = 'succeeded' AND r.reproduces IS NULL
                    JOIN \(far) f ON f.run_id = n.run_id
                    WHERE w.depth < ?2
                )
                SELECT snapshot, min(depth) AS depth FROM walk GROUP BY snapshot
                """, arguments: [root.description, depth])
            let inner = reached.filter { ($0["depth"] as Int) < depth }.map { $0["snapshot"] as String }
            var steps = [Lineage.Step]()
            if !inner.isEmpty {
                let runIDs = try String.fetchAll(db, sql: """
                    SELECT DISTINCT r.id FROM \(near) n JOIN runs r ON r.id = n.run_id AND r.status = 'succeeded' AND r.reproduces IS NULL
                    WHERE n.snapshot_id IN (SELECT value FROM json_each(?)) ORDER BY r.started_at, r.id
                    """, arguments: [String(decoding: try JSONEncoder.sorted.encode(inner), as: UTF8.self)])
                for id in runIDs {
                    guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE id = ?"), arguments: [id]) else { continue }
                    let run = try Self.run(db, row)
                    steps.append(Lineage.Step(run: run.id, stage: run.stage, status: run.status, startedAt: run.startedAt,
                                              inputs: run.inputs, outputs: run.outputs.map { .init(name: $0.name, snapshot: $0.snapshot) }))
                }
            }
            var snapshots = Set(reached.map { $0["snapshot"] as String })
            for s in steps { snapshots.formUnion(s.inputs.map(\.snapshot) + s.outputs.map(\.snapshot)) }
            var names = [String: [String]]()
            for row in try Row.fetchAll(db, sql: """
                SELECT v.snapshot_id, d.name || '@' || v.version AS name FROM versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE v.snapshot_id IN (SELECT value FROM json_each(?)) ORDER BY d.name, v.version
                """, arguments: [String(decoding: try JSONEncoder.sorted.encode(snapshots.sorted()), as: UTF8.self)]) {
                names[row["snapshot_id"], default: []].append(row["name"])
            }
            return Lineage(root: root.description, direction: direction, depth: depth, steps: steps, names: names)
        }
    }
}
