import Foundation
import LakeCatalog
import LakeCore
import LakeKit
import LakeStore

/// Rows of a snapshot's tabular files, grouped by a field or by file.
public struct Counts: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        public var value: String?
        public var rows: Int64
    }

    public var snapshot: String
    /// The field grouped by, or nil for rows per file.
    public var by: String?
    public var groups: [Group]
    public var total: Int64
}

/// What changed between two snapshots: files, and with a key, records.
public struct SnapshotDiff: Codable, Sendable, Equatable {
    public struct FileChange: Codable, Sendable, Equatable {
        /// `added`, `removed` or `changed`.
        public var change: String
        public var path: String
        public var bytesBefore: UInt64?
        public var bytesAfter: UInt64?
        public var rowsBefore: Int64?
        public var rowsAfter: Int64?
    }

    public struct Records: Codable, Sendable, Equatable {
        public var key: String
        public var added: Int64
        public var removed: Int64
        public var changed: Int64
        public var unchanged: Int64
        /// |keys of A ∩ keys of B| / |keys of A ∪ keys of B|.
        public var jaccard: Double
    }

    public var from: String
    public var to: String
    public var files: [FileChange]
    public var records: Records?
}

extension QueryEngine {
    /// Rows of the snapshot's tabular files (those matching `glob`), per value of `field`
    /// (a CSV column or a top-level JSON key), or per file without one.
    public func counts(_ target: String, by field: String?, glob: String?) throws -> Counts {
        let (id, _) = try lake.resolve(target)
        _ = try loadTable("counted", target: id.description, glob: glob)
        let group = field.map { Self.quoted($0) } ?? "_file"
        if let field { try requireColumn(field, in: "counted") }
        let result = try query("SELECT \(group) AS value, count(*) AS rows FROM counted GROUP BY 1 ORDER BY rows DESC, value")
        let groups = result.rows.map { Counts.Group(value: $0[0] == .null ? nil : $0[0].text, rows: Int64($0[1].text) ?? 0) }
        return Counts(snapshot: id.description, by: field, groups: groups, total: groups.reduce(0) { $0 + $1.rows })
    }

    /// Files added, removed and changed between A and B; with `key`, the records of their
    /// tabular files matched by that field: added, removed, changed, and the Jaccard index of
    /// the key sets.
    public func diff(_ a: String, _ b: String, key: String?, glob: String?) throws -> SnapshotDiff {
        let (from, _) = try lake.resolve(a)
        let (to, _) = try lake.resolve(b)
        let before = Dictionary(try lake.catalog.files(of: from).map { ($0.path, $0) }, uniquingKeysWith: { x, _ in x })
        let after = Dictionary(try lake.catalog.files(of: to).map { ($0.path, $0) }, uniquingKeysWith: { x, _ in x })
        var files = [SnapshotDiff.FileChange]()
        for path in Set(before.keys).union(after.keys).sorted(by: String.utf8Precedes) {
            let o = before[path], n = after[path]
            let change = o == nil ? "added" : n == nil ? "removed" : (o!.object != n!.object || o!.mode != n!.mode) ? "changed" : nil
            guard let change else { continue }
            files.append(.init(change: change, path: path, bytesBefore: o.map { UInt64($0.size) }, bytesAfter: n.map { UInt64($0.size) },
                               rowsBefore: o?.rows, rowsAfter: n?.rows))
        }
        var records: SnapshotDiff.Records?
        if let key {
            _ = try loadTable("diff_a", target: from.description, glob: glob)
            _ = try loadTable("diff_b", target: to.description, glob: glob)
            try requireColumn(key, in: "diff_a")
            try requireColumn(key, in: "diff_b")
            let k = Self.quoted(key)
            let r = try query("""
                WITH a AS (SELECT \(k) AS k, group_concat(_raw, char(10)) AS raw FROM diff_a WHERE \(k) IS NOT NULL GROUP BY 1),
                     b AS (SELECT \(k) AS k, group_concat(_raw, char(10)) AS raw FROM diff_b WHERE \(k) IS NOT NULL GROUP BY 1)
                SELECT (SELECT count(*) FROM b WHERE k NOT IN (SELECT k FROM a)),
                       (SELECT count(*) FROM a WHERE k NOT IN (SELECT k FROM b)),
                       (SELECT count(*) FROM a JOIN b USING (k) WHERE a.raw IS NOT b.raw),
                       (SELECT count(*) FROM a JOIN b USING (k) WHERE a.raw IS b.raw),
                       (SELECT count(*) FROM (SELECT k FROM a UNION SELECT k FROM b))
                """)
            let v = r.rows[0].map { Int64($0.text) ?? 0 }
            let common = v[2] + v[3]
            records = .init(key: key, added: v[0], removed: v[1], changed: v[2], unchanged: v[3],
                            jaccard: v[4] == 0 ? 1 : Double(common) / Double(v[4]))
        }
        return SnapshotDiff(from: from.description, to: to.description, files: files, records: records)
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private func requireColumn(_ name: String, in table: String) throws {
        let columns = try query("PRAGMA table_info(\(Self.quoted(table)))").rows.map { $0[1].text }
        guard columns.contains(name) else {
            throw QueryError.sql(message: "no field '\(name)' in the files; they have \(columns.filter { !$0.hasPrefix("_") }.joined(separator: ", "))", sql: "", offset: nil)
        }
    }
}
