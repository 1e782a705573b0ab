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
    /// Makes the CSV/TSV/JSON-lines files (plain, `.gz` or `.zst`) of the snapshot `target`
    /// names (those matching `glob`, all tabular files without one) a table: one column per CSV header field or
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
            !e.isSymlink && TableFormat.of(fileName: e.path) != nil && (glob.map { fnmatch($0, e.path, 0) == 0 } ?? true)
        }
        try execute("CREATE TABLE main.\"\(name)\" (_file TEXT, _line INTEGER, _raw TEXT)")
        try execute("BEGIN")
        var table = TableWriter(db: db, name: name)
        // The columns the commit profiled come first, so a query naming one works even when no
        // row has it (an empty quarantine file, a header-only CSV).
        let profiled = Dictionary(try lake.catalog.files(of: snapshot).map { ($0.path, $0.columns ?? []) }, uniquingKeysWith: { a, _ in a })
        for file in files {
            for column in profiled[file.path] ?? [] where !column.isEmpty { try table.declare(column) }
        }
        var loaded = LoadedTable(name: name, files: files.count, rows: 0, errors: 0)
        do {
            for file in files {
                guard let (format, compression) = TableFormat.of(fileName: file.path) else { continue }
                do {
                    if format == .jsonLines {
                        try loadJSONLines(file, compression, into: &table, &loaded)
                    } else {
                        try loadCSV(file, compression, delimiter: format == .tsv ? "\t" : ",", into: &table, &loaded)
                    }
                } catch is StreamDecompressor.Failure {
                    // A corrupt or cut-short compressed file: its rows up to there are kept.
                    loaded.errors += 1
                }
            }
            table.finish()
            try spreadJSONColumns(name, &loaded)
            try execute("COMMIT")
        } catch {
            table.finish()
            try? execute("ROLLBACK")
            throw error
        }
        return loaded
    }

    /// Streams the bytes of a table's file, decompressed when its name says it is compressed.
    private func readTable(_ file: ManifestEntry, _ compression: Compression?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let compression else { return try lake.store.read(file.object, body) }
        let decompressor = try StreamDecompressor(compression)
        try lake.store.read(file.object) { try decompressor.feed($0, body) }
        try decompressor.finish()
    }

    private func loadJSONLines(_ file: ManifestEntry, _ compression: Compression?, into table: inout TableWriter,
                               _ loaded: inout LoadedTable) throws {
        var pending = [UInt8]()
        var line = 0
        // Lines go in raw; SQLite's JSON functions (in C) check them and fill the columns
        // afterwards (`spreadJSONColumns`).
        func flush(_ bytes: ArraySlice<UInt8>) throws {
            line += 1
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            try table.insert([("_file", .text(file.path)), ("_line", .integer(Int64(line))), ("_raw", .text(String(decoding: bytes, as: UTF8.self)))])
            loaded.rows += 1
        }
        try readTable(file, compression) { chunk in
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

    /// Drops JSON-lines rows that are not JSON objects (counted as errors), adds a column per
    /// top-level key (up to `TableWriter.maxColumns`) and fills them with `->>`, which keeps
    /// numbers numbers and gives nested values as JSON text.
    private func spreadJSONColumns(_ name: String, _ loaded: inout LoadedTable) throws {
        let table = Self.quoted(name)
        // The names TableFormat reads as JSON lines (LIKE ignores ASCII case, as it does).
        let jsonRows = "(" + ["jsonl", "ndjson"].flatMap { ext in ["", ".gz", ".zst"].map { "_file LIKE '%.\(ext)\($0)'" } }
            .joined(separator: " OR ") + ")"
        try execute("DELETE FROM main.\(table) WHERE \(jsonRows) AND NOT (json_valid(_raw) AND json_type(_raw) = 'object')")
        let dropped = Int(sqlite3_changes(db))
        loaded.errors += dropped
        loaded.rows -= dropped
        var existing = Set(try rawQuery("SELECT name FROM pragma_table_info('\(name)')").map { $0.lowercased() })
        var columns = [String]()
        for key in try rawQuery("SELECT DISTINCT j.key FROM main.\(table), json_each(_raw) j WHERE \(jsonRows) LIMIT \(TableWriter.maxColumns)")
        where !TableWriter.builtIn.contains(key.lowercased()) {
            if !existing.contains(key.lowercased()) {
                guard existing.count < TableWriter.maxColumns else { continue }
                try execute("ALTER TABLE main.\(table) ADD COLUMN \(Self.quoted(key))")
                existing.insert(key.lowercased())
            }
            columns.append(key)
        }
        guard !columns.isEmpty else { return }
        let sets = columns.map { key in
            let path = "$.\"" + key.replacingOccurrences(of: "\"", with: "\\\"") + "\""
            return "\(Self.quoted(key)) = _raw ->> '\(path.replacingOccurrences(of: "'", with: "''"))'"
        }
        try execute("UPDATE main.\(table) SET \(sets.joined(separator: ", ")) WHERE \(jsonRows)")
    }

    /// The first column of every row of a statement run before the connection is sealed.
    private func rawQuery(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: sql, offset: nil)
        }
        defer { sqlite3_finalize(statement) }
        var out = [String]()
        while sqlite3_step(statement) == SQLITE_ROW { out.append(String(cString: sqlite3_column_text(statement, 0))) }
        return out
    }

    private func loadCSV(_ file: ManifestEntry, _ compression: Compression?, delimiter: UnicodeScalar, into table: inout TableWriter,
                         _ loaded: inout LoadedTable) throws {
        // The reader streams a file: a loose object is one; a packed one is under 1 MiB; a
        // compressed one (or one stored as segments) is written to a private temporary file
        // first (the lake may be read-only), removed when loaded.
        let stream: InputStream
        var decompressed: String?
        defer { decompressed.map { _ = unlink($0) } }
        switch (compression, try lake.store.location(of: file.object)) {
        case (nil, .loose(let path)?):
            stream = InputStream(fileAtPath: path)!
        case (nil, .packed?):
            stream = InputStream(data: Data(try lake.store.bytes(of: file.object)))
        default:
            // Compressed, or a ledger stored as segments: one stream in a file of its own.
            let path = NSTemporaryDirectory() + "/" + FileIO.uniqueName("lake-table")
            decompressed = path
            let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
            defer { close(fd) }
            try readTable(file, compression) { try FileIO.writeAll(fd, $0, path: path) }
            stream = InputStream(fileAtPath: path)!
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
    private var columns = ["_file", "_line", "_raw"]
    /// Lowercased column name → position (SQLite column names ignore case).
    private var index = ["_file": 0, "_line": 1, "_raw": 2]
    /// Lake's own columns, which no field replaces.
    static let builtIn: Set = ["_file", "_line", "_raw"]
    private var statement: OpaquePointer?
    /// A JSON-lines file may have any number of keys; past this many, keys stay in `_raw`.
    static let maxColumns = TableProfile.maxColumns

    init(db: OpaquePointer, name: String) { (self.db, self.name) = (db, name) }

    /// Adds a column unless the table has it (or has its limit of columns).
    mutating func declare(_ column: String) throws {
        guard index[column.lowercased()] == nil, columns.count < Self.maxColumns else { return }
        let quoted = column.replacingOccurrences(of: "\"", with: "\"\"")
        guard sqlite3_exec(db, "ALTER TABLE main.\"\(name)\" ADD COLUMN \"\(quoted)\"", nil, nil, nil) == SQLITE_OK else {
            throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: "ALTER TABLE", offset: nil)
        }
        index[column.lowercased()] = columns.count
        columns.append(column)
        finish()
    }

    mutating func insert(_ values: [(String, QueryValue)]) throws {
        for (column, _) in values { try declare(column) }
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
        // SQLite column names ignore case: `ID` and `id` are one column and the first value
        // wins; a field named like Lake's own `_file`, `_line` or `_raw` (always given first)
        // does not replace them.
        var bound = Set<Int>()
        for (column, value) in values {
            guard let position = index[column.lowercased()], bound.insert(position).inserted else { continue }
            let i = Int32(position + 1)
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
