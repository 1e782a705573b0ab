import CSV
import Foundation
import GRDBSQLite
import LakeCore
import LakeKit
import LakeStore

/// One value of a query result.
public enum QueryValue: Equatable, Sendable, Encodable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var text: String {
        switch self {
        case .null: return ""
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .text(let s): return s
        }
    }

    /// A gate passes on a value that is not null, zero, empty, "0" or "false".
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .integer(let i): return i != 0
        case .real(let d): return d != 0
        case .text(let s): return !["", "0", "false", "FALSE", "False"].contains(s)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .integer(let i): try c.encode(i)
        case .real(let d): try c.encode(d)
        case .text(let s): try c.encode(s)
        }
    }
}

/// What a query returned.
public struct QueryResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[QueryValue]]
}

/// Errors of queries and gates.
public enum QueryError: LakeFailure, Equatable {
    case sql(message: String, sql: String, offset: Int?)
    case invalidTableName(String)
    case notOneValue(gate: String, rows: Int, columns: Int)
    case gateFailed(gate: String, value: String)
    case namedQueryNotFound(String, known: [String])
    case missingParameter(String)

    public var category: ErrorCategory {
        switch self {
        case .sql, .invalidTableName, .notOneValue, .missingParameter: return .usage
        case .gateFailed: return .gateFailed
        case .namedQueryNotFound: return .notFound
        }
    }

    public var description: String {
        switch self {
        case .sql(let message, let sql, let offset):
            if message == "not authorized" {
                return "SQL error: not authorized: lake query only reads (no INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH, DETACH or PRAGMA)"
            }
            guard let offset, offset >= 0, offset <= sql.utf8.count else { return "SQL error: \(message)" }
            let before = String(decoding: sql.utf8.prefix(offset), as: UTF8.self)
            let line = before.split(separator: "\n", omittingEmptySubsequences: false).count
            let near = String(decoding: sql.utf8.dropFirst(offset).prefix(30), as: UTF8.self)
            return "SQL error: \(message) (line \(line), byte \(offset + 1), near '\(near)')"
        case .invalidTableName(let name):
            return "'\(name)' cannot name a table: use letters, digits and '_', not starting with a digit"
        case .notOneValue(let gate, let rows, let columns):
            return "gate \"\(gate)\" returned \(rows) row(s) of \(columns) column(s); a gate returns exactly one value"
        case .gateFailed(let gate, let value):
            return "gate failed: \"\(gate)\" returned \(value.isEmpty ? "NULL" : value); nothing was moved"
        case .missingParameter(let name):
            return "the query uses :\(name); give it with --param \(name)=VALUE"
        case .namedQueryNotFound(let name, let known):
            return "no named query '\(name)'; 'lake query --list' lists them: \(known.joined(separator: ", "))"
        }
    }
}

/// Read-only SQL over the catalog's tables and views, plus tables loaded from snapshots'
/// CSV and JSON-lines files. The catalog is attached read-only; once tables are loaded the
/// connection is sealed: an authorizer allows reading only (no writes, ATTACH, DETACH or
/// PRAGMA beyond a few informational ones) and `query_only` is on.
public final class QueryEngine {
    let db: OpaquePointer
    let lake: Lake
    var sealed = false

    public init(lake: Lake) throws {
        self.lake = lake
        var handle: OpaquePointer?
        // "": a private temporary database on disk, so a loaded table larger than memory
        // spills to a temp file (SQLite keeps only its page cache in memory).
        guard sqlite3_open_v2("", &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nil) == SQLITE_OK, let handle else {
            throw QueryError.sql(message: "cannot open a temporary database", sql: "", offset: nil)
        }
        db = handle
        let uri = "file:" + (lake.catalog.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? lake.catalog.path) + "?mode=ro"
        try execute("ATTACH DATABASE '\(uri.replacingOccurrences(of: "'", with: "''"))' AS catalog")
    }

    deinit { sqlite3_close_v2(db) }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &message) != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw QueryError.sql(message: text, sql: sql, offset: nil)
        }
    }

    /// From here on nothing can write: called before any SQL a user wrote runs.
    public func seal() throws {
        guard !sealed else { return }
        try execute("PRAGMA query_only = 1")
        sqlite3_set_authorizer(db, { _, action, first, _, _, _ in
            let name = first.map { String(cString: $0) } ?? ""
            switch action {
            case SQLITE_SELECT, SQLITE_READ, SQLITE_FUNCTION, SQLITE_RECURSIVE:
                return SQLITE_OK
            case SQLITE_UPDATE where name == "sqlite_master":
                // Connecting json_each/json_tree declares their columns this way; a real write
                // to the schema still fails (query_only, and writable_schema is refused).
                return SQLITE_OK
            case SQLITE_PRAGMA:
                return ["table_info", "table_xinfo", "table_list", "index_list", "index_info", "database_list"].contains(name.lowercased()) ? SQLITE_OK : SQLITE_DENY
            default:
                return SQLITE_DENY
            }
        }, nil)
        sealed = true
    }

    /// Runs one statement with named parameters bound (`:name` takes `params["name"]`).
    public func query(_ sql: String, params: [String: String] = [:]) throws -> QueryResult {
        try seal()
        var statement: OpaquePointer?
        var rest = ""
        let rc = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v2(db, text, -1, &statement, &tail)
            rest = tail.map { String(cString: $0) } ?? ""
            return rc
        }
        guard rc == SQLITE_OK, let statement else {
            let offset = Int(sqlite3_error_offset(db))
            throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: sql, offset: offset >= 0 ? offset : nil)
        }
        defer { sqlite3_finalize(statement) }
        if !rest.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";"))).isEmpty {
            throw QueryError.sql(message: "give one statement; text follows the first ';'", sql: sql, offset: nil)
        }
        for i in 0 ..< sqlite3_bind_parameter_count(statement) {
            guard let raw = sqlite3_bind_parameter_name(statement, i + 1) else { continue }
            let name = String(String(cString: raw).dropFirst())
            guard let value = params[name] else { throw QueryError.missingParameter(name) }
            // Bound as what it reads as, so `confidence >= :min` compares numbers.
            switch QueryEngine.value(value) {
            case .integer(let v): sqlite3_bind_int64(statement, i + 1, v)
            case .real(let v): sqlite3_bind_double(statement, i + 1, v)
            default: sqlite3_bind_text(statement, i + 1, value, -1, unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self))
            }
        }
        let columns = (0 ..< sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows = [[QueryValue]]()
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw QueryError.sql(message: String(cString: sqlite3_errmsg(db)), sql: sql, offset: nil)
            }
            rows.append((0 ..< Int32(columns.count)).map { i in
                switch sqlite3_column_type(statement, i) {
                case SQLITE_NULL: return .null
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, i))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, i))
                default: return .text(String(cString: sqlite3_column_text(statement, i)))
                }
            })
        }
        return QueryResult(columns: columns, rows: rows)
    }
}
