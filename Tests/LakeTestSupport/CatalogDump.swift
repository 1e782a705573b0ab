import GRDB

/// Every row of every table of a catalog as text, to show that a command changed nothing
/// (the file's bytes may change when SQLite checkpoints its WAL, the content may not).
public enum CatalogDump {
    public static func dump(_ path: String) throws -> String {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        return try queue.read { db in
            var out = ""
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                out += "## \(table)\n"
                var rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\($0)" }
                rows.sort()
                for row in rows { out += row + "\n" }
            }
            return out
        }
    }
}
