import CSV
import Foundation
import GRDBSQLite
import LakeCore
import LakeKit
import LakeStore

/// What loading a table read.
public struct LoadedTable: Sendable, Equatable, Codable {
    public var name: String
    public var files: Int
    public var rows: Int
    /// Lines that were not JSON objects, or CSV records that did not parse.
    public var errors: Int
}

extension QueryEngine {
    /// Makes the CSV/TSV/JSON-lines files of the snapshot `target` names (those matching
    /// `glob`, all tabular files without one) a table: one column per CSV header field or
    /// top-level JSON key, plus `_file`, `_line` and `_raw` (the JSON line, so
    /// `json_extract(_raw, '$.a.b')` reaches nested fields; for CSV a JSON array of the
    /// record's cells). Rows stream in one transaction.
    public func loadTable(_ name: String, target: String, glob: String? = nil) throws -> LoadedTable {
        guard !sealed, name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
            throw QueryError.invalidTableName(name)
        }
        let (snapshot, _) = try lake.resolve(target)
        // Only files with rows: a glob narrows them, it does not make a JSON report a table.
        let files = try lake.manifest(snapshot).entries.filter { e in
            !e.isSymlink && RowCounter(fileName: e.path) != nil && (glob.map { fnmatch($0, e.path, 0) == 0 } ?? true)
        }
        try execute("CREATE TABLE main.\"\(name)\" (_file TEXT, _line INTEGER)")
        try execute("BEGIN")
        var table = TableWriter(db: db, name: name)
        var loaded = LoadedTable(name: name, files: files.count, rows: 0, errors: 0)
        do {
            for file in files {
                let lower = file.path.lowercased()
                if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
                    try loadJSONLines(file, into: &table, &loaded)
                } else {
                    try loadCSV(file, delimiter: lower.hasSuffix(".tsv") ? "\t" : ",", into: &table, &loaded)
                }
            }
            table.finish()
            try execute("COMMIT")
        } catch {
            table.finish()
            try? execute("ROLLBACK")
            throw error
        }
        return loaded
    }

    private func loadJSONLines(_ file: ManifestEntry, into table: inout TableWriter, _ loaded: inout LoadedTable) throws {
        var pending = [UInt8]()
        var line = 0
        func flush(_ bytes: ArraySlice<UInt8>) throws {
            line += 1
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                loaded.errors += 1
                return
            }
            var values: [(String, QueryValue)] = [("_file", .text(file.path)), ("_line", .integer(Int64(line))),
                                                  ("_raw", .text(String(decoding: bytes, as: UTF8.self)))]
            for (key, value) in object.sorted(by: { $0.key < $1.key }) { values.append((key, Self.value(value))) }
            try table.insert(values)
            loaded.rows += 1
        }
        try lake.store.read(file.object) { chunk in
            pending.append(contentsOf: chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try flush(pending[start ..< newline])
                start = newline + 1
            }
            pending.removeSubrange(pending.startIndex ..< start)
        }
        if !pending.isEmpty { try flush(pending[...]) }
    }

    private func loadCSV(_ file: ManifestEntry, delimiter: UnicodeScalar, into table: inout TableWriter, _ loaded: inout LoadedTable) throws {
        // A loose object is a file the reader can stream; a packed one is under 1 MiB.
        let stream: InputStream
        switch try lake.store.location(of: file.object) {
        case .loose(let path)?: stream = InputStream(fileAtPath: path)!
        default: stream = InputStream(data: Data(try lake.store.bytes(of: file.object)))
        }
        let reader: CSVReader
        do { reader = try CSVReader(stream: stream, hasHeaderRow: true, delimiter: delimiter) } catch {
            loaded.errors += 1
            return
        }
        let header = reader.headerRow ?? []
        var line = 1
        while let row = reader.next() {
            line += 1
            let raw = (try? JSONSerialization.data(withJSONObject: row, options: [.withoutEscapingSlashes])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            var values: [(String, QueryValue)] = [("_file", .text(file.path)), ("_line", .integer(Int64(line))), ("_raw", .text(raw))]
            for (i, cell) in row.enumerated() {
                let column = i < header.count && !header[i].isEmpty ? header[i] : "column\(i + 1)"
                values.append((column, Self.value(cell)))
            }
            try table.insert(values)
            loaded.rows += 1
        }
        if reader.error != nil { loaded.errors += 1 }
    }

    /// JSON values keep their types; nested values become JSON text.
    static func value(_ any: Any) -> QueryValue {
        switch any {
        case is NSNull: return .null
        case let n as NSNumber where String(cString: n.objCType) == "c": return .integer(n.boolValue ? 1 : 0)  // JSON true/false
        case let n as NSNumber: return n.doubleValue == n.doubleValue.rounded() && abs(n.doubleValue) < 9e15 ? .integer(n.int64Value) : .real(n.doubleValue)
        case let s as String: return .text(s)
        default:
            let data = (try? JSONSerialization.data(withJSONObject: any, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
            return .text(String(decoding: data, as: UTF8.self))
        }
    }

    /// CSV cells (and parameters) that read as numbers are stored as numbers, so comparisons
    /// work; `007` stays text (an identifier), and so do `inf` and `nan`.
    static func value(_ cell: String) -> QueryValue {
        let digits = cell.drop { $0 == "-" || $0 == "+" }
        if digits.count > 1, digits.first == "0", digits.dropFirst().first != "." { return .text(cell) }
        if let i = Int64(cell) { return .integer(i) }
        if let d = Double(cell), d.isFinite, cell.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) { return .real(d) }
        return .text(cell)
    }
}

/// Inserts rows into a table, adding a column when a new field appears.
struct TableWriter {
    let db: OpaquePointer
    let name: String
    private var columns = ["_file", "_line"]
    private var statement: OpaquePointer?
    /// A JSON-lines file may have any number of keys; past this many, keys stay in `_raw`.
    static let maxColumns = 500

    init(db: OpaquePointer, name: String) { (self.db, self.name) = (db, name) }

    mutating func insert(_ values: [(String, QueryValue)]) throws {
        // SQLite column names ignore case: `ID` and `id` are one column (the first value wins);
        // a field named like Lake's own `_file`, `_line` or `_raw` does not replace them.
        var seen = Set<String>()
        let values = values.enumerated().filter { i, v in
            seen.insert(v.0.lowercased()).inserted && (i < 3 || !["_file", "_line", "_raw"].contains(v.0.lowercased()))
        }.map(\.1)
        for (column, _) in values where !columns.contains(where: { $0.lowercased() == column.lowercased() }) && columns.count < Self.maxColumns {
            let quoted = column.replacingOccurrences(of: "\"", with: "\"\"")
            guard sqlite3_exec(db, "ALTER TABLE main.\"\(name)\" ADD COLUMN \"\(quoted)\"", nil, nil, nil) == SQLITE_OK else {
                throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: "ALTER TABLE", offset: nil)
            }
            columns.append(column)
            finish()
        }
        if statement == nil {
            let list = columns.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: ", ")
            let sql = "INSERT INTO main.\"\(name)\" (\(list)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
                throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: sql, offset: nil)
            }
        }
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
        for (column, value) in values {
            guard let index = columns.firstIndex(where: { $0.lowercased() == column.lowercased() }) else { continue }
            let i = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, i)
            case .integer(let v): sqlite3_bind_int64(statement, i, v)
            case .real(let v): sqlite3_bind_double(statement, i, v)
            case .text(let v): sqlite3_bind_text(statement, i, v, -1, transient)
            }
        }
        guard sqlite3_step(statement) == SQLITE_DONE else {
            throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: "INSERT", offset: nil)
        }
    }

    mutating func finish() {
        sqlite3_finalize(statement)
        statement = nil
    }
}
