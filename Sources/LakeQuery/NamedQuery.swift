/// A query kept in `catalog/queries/NAME.sql` and carried in the binary: its first line is a
/// `-- ` description, its parameters are `:name` placeholders bound from `--param`.
public struct NamedQuery: Sendable, Equatable {
    public var name: String
    public var description: String
    public var sql: String

    public static let all: [NamedQuery] = NamedQueriesSQL.all.map { name, sql in
        let first = sql.split(separator: "\n").first.map(String.init) ?? ""
        return NamedQuery(name: name, description: first.hasPrefix("-- ") ? String(first.dropFirst(3)) : "", sql: sql)
    }

    public static func named(_ name: String) throws -> NamedQuery {
        guard let q = all.first(where: { $0.name == name }) else { throw QueryError.namedQueryNotFound(name, known: all.map(\.name)) }
        return q
    }
}
