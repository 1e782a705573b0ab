import CCatalogSQLite
import Foundation
import GRDB
import GRDBSQLite
import LakeCore
import LakeStore

/// The SQLite catalog of one lake (`catalog.sqlite`, WAL mode): datasets, snapshots and their
/// files, versions, refs and the ref log. An index over the objects, not the only copy of truth.
///
/// ```swift
/// let catalog = try Catalog(lakeDirectory: lakeDir, store: ObjectStore(root: lakeDir))
/// let datasets = try catalog.datasets()
/// ```
/// SQLite copies a bound value with this destructor (the C macro SQLITE_TRANSIENT).
private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

public final class Catalog: @unchecked Sendable {
    public let path: String
    /// The one connection a command needs (docs/format.md §1.2).
    let connection: DatabaseQueue
    public let journal: Journal
    /// Where manifests are read when a journal record is applied without one at hand.
    let store: ObjectStore

    /// Opens (and creates or migrates) the catalog. A catalog with migrations this binary does
    /// not know is refused.
    public init(path: String, journal: Journal, store: ObjectStore) throws {
        self.path = path
        self.journal = journal
        self.store = store
        var config = Configuration()
        config.busyMode = .timeout(60)
        config.foreignKeysEnabled = true
        config.label = "lake-catalog"
        let walPath = path + "-wal"
        config.prepareDatabase { db in
            // A commit writes a row per file to two tables in one transaction: with SQLite's
            // default 2 MiB page cache, a large commit spills pages to the WAL over and over.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            guard !db.configuration.readonly else { return }
            // Keep the -wal and -shm files when the last connection closes. Else every command
            // finds no WAL and makes one with a schema change (below): two fsyncs and a schema
            // reload on every connection, a millisecond or more per command. Read-only readers
            // also need the two files (GRDB's DatabaseSharing guide).
            //
            // And leave the WAL to `settleWAL`, not to SQLite's checkpoint at every close.
            var persist: CInt = 1
            try Catalog.check(sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, &persist), db)
            try Catalog.check(lake_sqlite_no_checkpoint_on_close(db.sqliteConnection), db)
            // WAL with synchronous NORMAL (the synced journal is what makes a commit durable,
            // docs/format.md §11), set here rather than by GRDB's `journalMode = .wal`, which
            // at every open also asks Foundation's URL for the -wal file's size: 2.5M
            // instructions, a tenth of a no-op commit. Like GRDB, a missing or empty WAL is
            // made non-empty with a schema change, so that read-only readers can open the
            // catalog (GRDB issue 102); as the WAL persists, only a new or rebuilt catalog pays.
            try Catalog.check(lake_sqlite_use_wal(db.sqliteConnection), db, "could not put the catalog in WAL mode")
            var wal = stat()
            if stat(walPath, &wal) != 0 || wal.st_size == 0 {
                try db.inSavepoint {
                    try db.execute(sql: "CREATE TABLE lake_wal (id INTEGER PRIMARY KEY); DROP TABLE lake_wal")
                    return .commit
                }
            }
        }
        connection = try CatalogError.wrap { try DatabaseQueue(path: path, configuration: config) }
        let migrator = Self.migrator
        try CatalogError.wrap {
            let (superseded, complete) = try connection.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
            }
            if superseded {
                let unknown = try connection.read { db in try migrator.appliedIdentifiers(db).subtracting(migrator.migrations) }
                throw CatalogError.newerSchema(path: path, unknown: unknown.sorted())
            }
            if !complete {
                try migrator.migrate(connection)
                wrote = true
            }
        }
    }

    /// Throws for an SQLite result code other than SQLITE_OK.
    private static func check(_ code: CInt, _ db: Database, _ message: String? = nil) throws {
        guard code != SQLITE_OK else { return }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message ?? String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    /// The most WAL a command leaves behind (see `settleWAL`).
    static let walKeptBytes = 256 << 10

    /// Whether this catalog committed a write since the WAL was last settled (`settleWAL`).
    private var wrote = false
    /// Set once `rebuild` has closed the connection itself.
    private var closed = false

    deinit { settleWAL() }

    /// What a command leaves of the WAL, which is persistent (see init) and which SQLite does
    /// not checkpoint at close here. The frames a command finds in the WAL stay valid, and the
    /// first connection that rebuilds the -shm index counts them as not yet copied: SQLite's
    /// checkpoint at every close copied them into catalog.sqlite again, with three fsyncs (WAL,
    /// directory, database), after every command, a read as much as a write. So:
    /// - a command that wrote copies the WAL into catalog.sqlite (a passive checkpoint), so
    ///   that after every write the file alone is whole;
    /// - a command that only read leaves the WAL as it found it;
    /// - a WAL over 256 KiB (a commit of 50,000 files leaves 9 MB, which made every later
    ///   command 20 ms slower) is truncated and one page written, so that what stays is small,
    ///   and never empty (GRDB would then write at every open).
    /// Busy (a reader in another process) or read-only: left as it is.
    ///
    /// Runs when the catalog is released, and is called by a process that exits without
    /// releasing it (the CLI, `LakeCommand.runMain`).
    public func settleWAL() {
        var st = stat()
        let large = stat(path + "-wal", &st) == 0 && st.st_size > Self.walKeptBytes
        guard !closed, large || wrote else { return }
        _ = try? connection.writeWithoutTransaction { db in
            guard large else { return _ = try db.checkpoint(.passive) }
            try db.checkpoint(.truncate)
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            try db.execute(sql: "PRAGMA user_version = \(version)")
        }
        wrote = false
    }

    /// The catalog of a lake: `catalog.sqlite` over `journal.jsonl`.
    public convenience init(lakeDirectory: String, store: ObjectStore) throws {
        try self.init(path: lakeDirectory + "/catalog.sqlite", journal: Journal(path: lakeDirectory + "/journal.jsonl"), store: store)
    }

    /// Builds a new catalog from the journal and the manifests alone (invariant 7) and puts it
    /// in place of `catalog.sqlite`, which is kept beside it as `catalog.sqlite.replaced` when
    /// there was one. The caller holds the lake's writer lock.
    public static func rebuild(lakeDirectory: String, store: ObjectStore) throws -> (datasets: Int, versions: Int, refMoves: Int) {
        let target = lakeDirectory + "/catalog.sqlite"
        let fresh = target + ".rebuild"
        for suffix in ["", "-wal", "-shm"] { unlink(fresh + suffix) }
        let journal = Journal(path: lakeDirectory + "/journal.jsonl")
        var counts = (0, 0, 0)
        do {
            defer { for suffix in ["-wal", "-shm"] { unlink(fresh + suffix) } }
            let catalog = try Catalog(path: fresh, journal: journal, store: store)
            try catalog.write { _ in }
            counts = try catalog.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM datasets") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM versions") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM ref_log") ?? 0)
            }
            // Everything into the main file before it is renamed: its -wal file is not moved.
            try CatalogError.wrap {
                _ = try catalog.connection.writeWithoutTransaction { try $0.checkpoint(.truncate) }
                try catalog.connection.close()
                catalog.closed = true
            }
        } catch {
            unlink(fresh)
            throw error
        }
        // The old catalog and whatever WAL files it had go aside together; a stale WAL must
        // never sit beside the new file.
        let kept = target + ".replaced"
        for suffix in ["", "-wal", "-shm"] { unlink(kept + suffix) }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: target + suffix) {
            guard rename(target + suffix, kept + suffix) == 0 else { throw SystemError("rename", path: target + suffix) }
        }
        guard rename(fresh, target) == 0 else { throw SystemError("rename", path: fresh) }
        try FileIO.sync(lakeDirectory, directory: true)
        return counts
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        for (id, sql) in CatalogSQL.migrations {
            m.registerMigration(id) { db in try db.execute(sql: sql) }
        }
        return m
    }

    /// Identifiers of the migrations this binary applies, in order.
    public static var migrationIdentifiers: [String] { CatalogSQL.migrations.map(\.0) }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try CatalogError.wrap { try connection.read(body) }
    }

    /// One IMMEDIATE transaction: it takes SQLite's write lock at its start, so two writers
    /// never both read a state that one of them is about to change. It first applies journal
    /// records that an interrupted writer appended but never committed. The records the body
    /// appends are synced once, before the transaction commits. When the transaction fails
    /// (not a crash: an error, a full disk), the journal is cut back to where it was, so a
    /// change the caller was told failed never appears later.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try CatalogError.wrap {
            try connection.writeWithoutTransaction { db in
                var result: T?
                var journalLength: Int64?
                do {
                    defer { wrote = true }
                    try db.inTransaction(.immediate) {
                        try catchUp(db)
                        let start = try journal.size()
                        journalLength = start
                        result = try body(db)
                        if try journal.size() != start { try journal.sync() }
                        return .commit
                    }
                } catch {
                    if let journalLength { try? journal.truncate(to: journalLength) }
                    throw error
                }
                return result!
            }
        }
    }

    // MARK: Datasets and versions

    public func datasets() throws -> [DatasetSummary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM dataset_summary ORDER BY dataset").map {
                DatasetSummary(name: $0["dataset"], kind: $0["kind"], versions: $0["versions"],
                               latestVersion: $0["latest_version"], latestSnapshot: $0["latest_snapshot"],
                               latestBytes: $0["latest_bytes"], createdAt: $0["created_at"])
            }
        }
    }

    public func datasetKind(_ name: DatasetName) throws -> Kind? {
        try read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT kind FROM datasets WHERE name = ?"), arguments: [name.rawValue])
        }.flatMap(Kind.init(rawValue:))
    }

    /// Versions of a dataset, oldest first.
    public func versions(of name: DatasetName) throws -> [VersionRecord] {
        let rows = try read { db in
            try Row.fetchAll(db, sql: "SELECT *, \(Self.archivedColumn) FROM version_details vd WHERE dataset = ? ORDER BY version", arguments: [name.rawValue])
        }
        if rows.isEmpty, try datasetKind(name) == nil { throw CatalogError.datasetNotFound(name.rawValue) }
        return rows.map(Self.version)
    }

    /// Version `number` of a dataset, or its latest when `number` is nil.
    public func version(of name: DatasetName, number: Int?) throws -> VersionRecord {
        let all = try versions(of: name)
        guard let number else {
            guard let last = all.last else { throw CatalogError.versionNotFound(dataset: name.rawValue, version: 1, latest: nil) }
            return last
        }
        guard let v = all.first(where: { $0.version == number }) else {
            throw CatalogError.versionNotFound(dataset: name.rawValue, version: number, latest: all.last?.version)
        }
        return v
    }

    /// The versions that hold a snapshot.
    public func versions(holding snapshot: SnapshotID) throws -> [VersionRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT *, \(Self.archivedColumn) FROM version_details vd WHERE snapshot_id = ? ORDER BY dataset, version",
                             arguments: [snapshot.description]).map(Self.version)
        }
    }

    /// Whether the version (a `version_details vd` row) has an archive row.
    static let archivedColumn = "EXISTS (SELECT 1 FROM archives a WHERE a.dataset = vd.dataset AND a.version = vd.version) AS archived"

    static func version(_ r: Row) -> VersionRecord {
        VersionRecord(dataset: r["dataset"], kind: r["kind"], version: r["version"], snapshot: r["snapshot_id"],
                      createdAt: r["created_at"], message: r["message"], source: r["source"], sourcePath: r["source_path"],
                      files: r["file_count"], bytes: r["bytes"], rows: r["rows"], archived: r["archived"])
    }

    // MARK: Snapshots

    public func hasSnapshot(_ id: SnapshotID) throws -> Bool {
        try read { db in try Self.hasSnapshot(db, id) }
    }

    /// Snapshots whose hex starts with `prefix`.
    public func snapshots(withPrefix prefix: String) throws -> [SnapshotID] {
        try read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM snapshots WHERE id >= ? AND id < ? ORDER BY id LIMIT 20"),
                                arguments: ["sha256:" + prefix, "sha256:" + prefix + "g"])
        }.compactMap { try? SnapshotID(parsing: $0) }
    }

    public func allSnapshots() throws -> [SnapshotID] {
        try read { db in try String.fetchAll(db, sql: "SELECT id FROM snapshots ORDER BY id") }.compactMap { try? SnapshotID(parsing: $0) }
    }

    /// The metrics of a snapshot, by file and key.
    public func metrics(of snapshot: SnapshotID) throws -> [MetricRecord] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT path, key, value FROM metrics WHERE snapshot_id = ? ORDER BY path, key"),
                             arguments: [snapshot.description]).map { MetricRecord(path: $0["path"], key: $0["key"], value: $0["value"]) }
        }
    }

    /// The metrics of the latest version of `dataset`, by the object of the file they came from
    /// (one file's, where several files hold one object). Metrics are a function of a file's
    /// bytes, so a commit takes those of its unchanged files from here instead of parsing them
    /// again.
    public func latestMetricsByObject(of dataset: DatasetName) throws -> [ObjectID: [(key: String, value: Double)]] {
        try read { db in
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT f.object_id, f.path, m.key, m.value
                FROM datasets d
                JOIN versions v ON v.dataset_id = d.id
                JOIN snapshots s ON s.id = v.snapshot_id
                JOIN metric_values m ON m.snapshot = s.seq
                JOIN files f ON f.snapshot = m.snapshot AND f.path = m.path
                WHERE d.name = ? AND v.version = (SELECT max(version) FROM versions WHERE dataset_id = d.id)
                ORDER BY f.path, m.key
                """), arguments: [dataset.rawValue])
            var values = [ObjectID: [(key: String, value: Double)]](), source = [ObjectID: String]()
            while let row = try rows.next() {
                guard let id = try? ObjectID(parsing: row[0]), let path: String = row[1] else { continue }
                guard source[id, default: path] == path else { continue }
                source[id] = path
                values[id, default: []].append((row[2], row[3]))
            }
            return values
        }
    }

    /// The files of a snapshot, by path. Columns are read by position: by name, GRDB
    /// lowercases the name for every row, the most of the time listing 50,000 files took.
    public func files(of snapshot: SnapshotID) throws -> [FileRecord] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT path, mode, size, object_id, rows, columns, parse_errors FROM snapshot_files WHERE snapshot_id = ?"),
                             arguments: [snapshot.description]).map {
                FileRecord(path: $0[0], mode: $0[1], size: $0[2], object: $0[3], rows: $0[4],
                           columns: ($0[5] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) },
                           parseErrors: $0[6])
            }.sorted { String.utf8Precedes($0.path, $1.path) }
        }
    }

    /// The rows of a snapshot's tabular files together; nil when it has none.
    public func rows(of snapshot: SnapshotID) throws -> Int64? {
        try read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT sum(rows) FROM snapshot_files WHERE snapshot_id = ?"), arguments: [snapshot.description])
        }
    }

    // MARK: Committing

    /// Records a snapshot as the next version of `dataset`, unless the dataset's latest
    /// version holds it already: the journal record is appended, then applied in the same
    /// transaction. The manifest's objects must be durable.
    ///
    /// - Parameter kind: the dataset's kind; nil keeps the existing kind (or `other` for a new
    ///   dataset).
    public func recordCommit(dataset: DatasetName, kind: Kind?, manifest: Manifest, tables: [String: TableProfile],
                             metrics: [Metrics.Value] = [], message: String?, sourcePath: String,
                             origin: VersionOrigin = .commit) throws -> CommitRecord {
        try batch { try $0.recordCommit(dataset: dataset, kind: kind, manifest: manifest, tables: tables, metrics: metrics,
                                        message: message, sourcePath: sourcePath, origin: origin) }
    }

    /// The record of a commit whose content the dataset's latest version holds already, read
    /// without a write transaction; nil when the commit makes a new version. An unchanged tree
    /// then costs its scan and nothing else: no sync, no catalog write (the version that holds
    /// it was made durable when it was recorded).
    public func unchangedCommit(dataset: DatasetName, manifest: Manifest) throws -> CommitRecord? {
        try read { db in
            guard let latest = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT v.version, v.snapshot_id, d.kind FROM versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE d.name = ? ORDER BY v.version DESC LIMIT 1
                """), arguments: [dataset.rawValue]), latest["snapshot_id"] == manifest.id.description else { return nil }
            return CommitRecord(dataset: dataset.rawValue, kind: latest["kind"], version: latest["version"], snapshot: manifest.id.description,
                                created: false, files: manifest.entries.count, bytes: Int64(manifest.totalBytes))
        }
    }

    func recordCommit(_ db: Database, dataset: DatasetName, kind: Kind?, manifest: Manifest, tables: [String: TableProfile],
                      metrics: [Metrics.Value], message: String?, sourcePath: String, origin: VersionOrigin) throws -> CommitRecord {
        let id = manifest.id
        let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, kind FROM datasets WHERE name = ?"), arguments: [dataset.rawValue])
        let kindName: String = existing?["kind"] ?? (kind ?? .other).rawValue
        if let kind, kind.rawValue != kindName {
            throw CatalogError.kindMismatch(dataset: dataset.rawValue, existing: kindName, given: kind.rawValue)
        }
        let latest = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT v.version, v.snapshot_id FROM versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE d.name = ? ORDER BY v.version DESC LIMIT 1
            """), arguments: [dataset.rawValue])
        var record = CommitRecord(dataset: dataset.rawValue, kind: kindName, version: latest?["version"] ?? 0,
                                  snapshot: id.description, created: false,
                                  files: manifest.entries.count, bytes: Int64(manifest.totalBytes))
        if let latest, latest["snapshot_id"] == id.description { return record }
        if origin.matchAnyVersion, let held = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT v.version FROM versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE d.name = ? AND v.snapshot_id = ? ORDER BY v.version DESC LIMIT 1
            """), arguments: [dataset.rawValue, id.description]) {
            record.version = held
            return record
        }
        record.version += 1
        record.created = true
        let entry = JournalRecord.VersionEntry(dataset: dataset.rawValue, kind: kindName, version: record.version,
                                               snapshot: id.description, at: origin.at ?? Timestamp.now(), message: message,
                                               source: origin.source, sourcePath: sourcePath)
        try journalAndApply(db, .version(entry), known: [id.description: SnapshotContent(manifest: manifest, tables: tables, metrics: metrics)])
        return record
    }

    // MARK: Journal

    /// Appends a record to the journal (synced before the transaction commits), applies it,
    /// and records the new position.
    /// `known` holds the manifests and row counts the caller has at hand, by snapshot id.
    func journalAndApply(_ db: Database, _ record: JournalRecord, known: [String: SnapshotContent] = [:]) throws {
        let end = try journal.append(record)
        try apply(db, record, known: known)
        try db.cachedStatement(sql: "UPDATE journal_position SET offset = ?").execute(arguments: [end])
    }

    /// Applies the journal's records past this catalog's position: those of a writer that died
    /// between its journal append and its commit, or all of them when rebuilding.
    func catchUp(_ db: Database) throws {
        let applied = try Int64.fetchOne(db, sql: "SELECT offset FROM journal_position") ?? 0
        let length = try journal.size()
        if length < applied { throw CatalogError.journalShort(path: journal.path, length: length, applied: applied) }
        guard length > applied else { return }
        for (record, end) in try journal.records(from: applied) {
            try apply(db, record, known: [:])
            try db.cachedStatement(sql: "UPDATE journal_position SET offset = ?").execute(arguments: [end])
        }
    }

    /// Makes the catalog say what one record says.
    func apply(_ db: Database, _ record: JournalRecord, known: [String: SnapshotContent]) throws {
        switch record {
        case .version(let v):
            try insertVersion(db, v, runID: nil, known: known)
        case .run(let run):
            try insertRun(db, run, known: known)
        case .archive(let archive):
            try insertArchive(db, archive)
        case .refMove(let m):
            try db.cachedStatement(sql: """
                INSERT INTO refs (name, snapshot_id, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET snapshot_id = excluded.snapshot_id, updated_at = excluded.updated_at
                """).execute(arguments: [m.ref, m.to, m.at])
            let gates = try m.gates.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
            try db.cachedStatement(sql: "INSERT INTO ref_log (ref, from_id, to_id, action, actor, at, message, gates) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(
                           arguments: [m.ref, m.from, m.to, m.action, m.actor, m.at, m.message, gates])
        }
    }

    /// Adds the dataset if new, the snapshot if new (its manifest from `known`, else read from
    /// the store with rows counted again), and the version.
    func insertVersion(_ db: Database, _ v: JournalRecord.VersionEntry, runID: String?, known: [String: SnapshotContent]) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO datasets (name, kind, created_at) VALUES (?, ?, ?)").execute(
                       arguments: [v.dataset, v.kind, v.at])
        let id = try SnapshotID(parsing: v.snapshot)
        if try !Self.hasSnapshot(db, id) {
            let content = try known[v.snapshot] ?? SnapshotContent.read(id, from: store)
            try Self.insertSnapshot(db, content, id: id, now: v.at)
        }
        try db.cachedStatement(sql: """
            INSERT INTO versions (dataset_id, version, snapshot_id, created_at, message, source, source_path, run_id)
            SELECT id, ?, ?, ?, ?, ?, ?, ? FROM datasets WHERE name = ?
            """).execute(arguments: [v.version, v.snapshot, v.at, v.message, v.source, v.sourcePath, runID, v.dataset])
    }

    static func hasSnapshot(_ db: Database, _ id: SnapshotID) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM snapshots WHERE id = ?)"), arguments: [id.description]) ?? false
    }

    static func insertSnapshot(_ db: Database, _ content: SnapshotContent, id: SnapshotID, now: String) throws {
        let manifest = content.manifest, tables = content.tables
        try db.cachedStatement(sql: "INSERT INTO snapshots (id, file_count, bytes, created_at) VALUES (?, ?, ?, ?)").execute(
                       arguments: [id.description, manifest.entries.count, Int64(manifest.totalBytes), now])
        let seq = db.lastInsertedRowID
        // A commit of a large tree writes tens of thousands of rows: they go through SQLite's
        // own bind/step calls (GRDB's per-execution bookkeeping costs more than the insert),
        // 128 rows a statement (SQLite's work per statement costs more than a row's). Entries
        // are sorted by path bytes, SQLite's BINARY order, so the rows are appended to the
        // table's B-tree. What is left under 128 goes 16 rows a statement, then the rest in
        // one: compiling a statement costs in proportion to its rows (one of 90 rows took 1.6M
        // instructions, more than inserting them), so a small snapshot compiles at most 31
        // rows' worth. Statements are cached by their number of rows: a catalog of a million
        // small snapshots compiles each once, and a snapshot builds the SQL of each once.
        var inserts = [Int: Statement]()
        func insert(rows count: Int) throws -> Statement {
            if let known = inserts[count] { return known }
            let statement = try db.cachedStatement(sql: "INSERT INTO files (snapshot, path, mode, size, object_id, rows, columns, parse_errors) VALUES "
                                                        + repeatElement("(?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))
            inserts[count] = statement
            return statement
        }
        // A table's columns are stored as JSON, encoded once per distinct list: the tables of
        // a pipeline's runs share a few (JSONEncoder costs 32,000 instructions a call).
        var encodedColumns = [[String]: String]()
        func json(_ columns: [String]) throws -> String {
            if let known = encodedColumns[columns] { return known }
            let text = String(decoding: try JSONEncoder.sorted.encode(columns), as: UTF8.self)
            encodedColumns[columns] = text
            return text
        }
        var next = manifest.entries.startIndex
        while next < manifest.entries.endIndex {
            let left = manifest.entries.endIndex - next
            let rows = manifest.entries[next ..< next + (left >= 128 ? 128 : left >= 16 ? 16 : left)]
            next = rows.endIndex
            let statement = try insert(rows: rows.count)
            let s = statement.sqliteStatement
            for (k, e) in rows.enumerated() {
                let column = Int32(k * 8)
                sqlite3_bind_int64(s, column + 1, seq)
                sqlite3_bind_text(s, column + 2, e.path, -1, sqliteTransient)
                sqlite3_bind_int64(s, column + 3, Int64(e.mode))
                sqlite3_bind_int64(s, column + 4, Int64(e.size))
                sqlite3_bind_text(s, column + 5, e.object.description, -1, sqliteTransient)
                if !tables.isEmpty, let t = tables[e.path] {
                    sqlite3_bind_int64(s, column + 6, t.rows)
                    sqlite3_bind_text(s, column + 7, try json(t.columns), -1, sqliteTransient)
                    sqlite3_bind_int64(s, column + 8, t.parseErrors)
                } else {
                    for i in column + 6 ... column + 8 { sqlite3_bind_null(s, i) }
                }
            }
            try step(statement, db)
        }
        // Metrics through SQLite's calls too: GRDB's `execute` cost 16,000 instructions a row.
        let metric = try db.cachedStatement(sql: "INSERT OR REPLACE INTO metric_values (snapshot, path, key, value) VALUES (?, ?, ?, ?)")
        for m in content.metrics {
            let s = metric.sqliteStatement
            sqlite3_bind_int64(s, 1, seq)
            sqlite3_bind_text(s, 2, m.path, -1, sqliteTransient)
            sqlite3_bind_text(s, 3, m.key, -1, sqliteTransient)
            sqlite3_bind_double(s, 4, m.value)
            try step(metric, db)
        }
    }

    /// Runs a statement whose parameters were bound with SQLite's own calls, and resets it.
    private static func step(_ statement: Statement, _ db: Database) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        sqlite3_reset(statement.sqliteStatement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                sql: statement.sql)
        }
    }

    // MARK: Refs

    public func refs() throws -> [RefRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM refs ORDER BY name").map {
                RefRecord(name: $0["name"], snapshot: $0["snapshot_id"], updatedAt: $0["updated_at"])
            }
        }
    }

    public func ref(_ name: RefName) throws -> RefRecord? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM refs WHERE name = ?"), arguments: [name.rawValue]).map {
                RefRecord(name: $0["name"], snapshot: $0["snapshot_id"], updatedAt: $0["updated_at"])
            }
        }
    }

    /// The moves of a ref, oldest first.
    public func refLog(_ name: RefName) throws -> [RefMove] {
        try read { db in try Self.moves(db, name) }
    }

    static func moves(_ db: Database, _ name: RefName) throws -> [RefMove] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM ref_moves WHERE ref = ? ORDER BY move"), arguments: [name.rawValue]).map(move)
    }

    /// The newest move of a ref, without reading its whole log (a ref may have moved a
    /// hundred thousand times).
    static func lastMove(_ db: Database, _ name: RefName) throws -> RefMove? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT *, (SELECT count(*) FROM ref_log WHERE ref = ?1) AS move FROM ref_log WHERE ref = ?1 ORDER BY id DESC LIMIT 1
            """), arguments: [name.rawValue]).map(move)
    }

    static func move(_ row: Row) -> RefMove {
        RefMove(ref: row["ref"], move: row["move"], from: row["from_id"], to: row["to_id"], action: row["action"],
                actor: row["actor"], at: row["at"], message: row["message"],
                gates: (row["gates"] as String?).flatMap { try? JSONDecoder().decode([GateResult].self, from: Data($0.utf8)) })
    }

    /// The target a ref had `n` moves ago (`REF@{n}`; 0 is the current target).
    public func refTarget(_ name: RefName, movesAgo n: Int) throws -> SnapshotID {
        let log = try refLog(name)
        guard !log.isEmpty else { throw CatalogError.refNotFound(name.rawValue) }
        guard n < log.count else { throw CatalogError.refHistoryTooShort(ref: name.rawValue, asked: n, moves: log.count) }
        return try SnapshotID(parsing: log[log.count - 1 - n].to)
    }

    /// Moves (or creates) a ref in one transaction and logs the move. With `expect`, a ref that
    /// is not where the caller expected is a conflict and nothing changes. Returns the move, or
    /// nil when the ref already pointed at `target`. `publish` gets the move before the
    /// transaction commits (a remote's compare-and-swap): when it throws, nothing moves.
    public func moveRef(_ name: RefName, to target: SnapshotID, expect: RefExpectation?, action: String,
                        actor: String, message: String?, gates: [GateResult]? = nil,
                        publish: ((JournalRecord.RefMoveEntry) throws -> Void)? = nil) throws -> RefMove? {
        try batch { try $0.moveRef(name, to: target, expect: expect, action: action, actor: actor, message: message, gates: gates, publish: publish) }
    }

    /// Moves a ref back to where it pointed before its last move.
    public func rollbackRef(_ name: RefName, actor: String, message: String?) throws -> RefMove {
        try write { db in
            guard let last = try Self.lastMove(db, name) else { throw CatalogError.refNotFound(name.rawValue) }
            guard let previous = last.from else { throw CatalogError.noPreviousTarget(name.rawValue) }
            let current = try SnapshotID(parsing: last.to)
            return try moveRef(db, name, to: previous, expect: .at(current), action: "rollback", actor: actor, message: message)!
        }
    }

    func moveRef(_ db: Database, _ name: RefName, to target: String, expect: RefExpectation?, action: String,
                 actor: String, message: String?, gates: [GateResult]? = nil,
                 publish: ((JournalRecord.RefMoveEntry) throws -> Void)? = nil) throws -> RefMove? {
        let current = try String.fetchOne(db.cachedStatement(sql: "SELECT snapshot_id FROM refs WHERE name = ?"), arguments: [name.rawValue])
        if let expect {
            let expected: String? = switch expect {
            case .absent: nil
            case .at(let id): id.description
            }
            if current != expected {
                let last = try Self.lastMove(db, name)
                throw CatalogError.refMoved(ref: name.rawValue, expected: expected ?? "none (a new ref)", actual: current,
                                            by: last?.actor, at: last?.at)
            }
        }
        if current == target { return nil }
        guard try Self.hasSnapshot(db, SnapshotID(parsing: target)) else {
            throw CatalogError.snapshotNotCatalogued(target)
        }
        let move = JournalRecord.RefMoveEntry(ref: name.rawValue, from: current, to: target, action: action, actor: actor,
                                              at: Timestamp.now(), message: message, gates: gates)
        try journalAndApply(db, .refMove(move))
        try publish?(move)
        return try Self.lastMove(db, name)
    }
}

// MARK: Checking

extension Catalog {
    /// Whether the journal holds records this catalog has not applied (a writer died between
    /// its append and its commit).
    public func hasPendingJournal() throws -> Bool {
        let applied = try read { db in try Int64.fetchOne(db, sql: "SELECT offset FROM journal_position") ?? 0 }
        return try journal.size() != applied
    }

    /// Applies pending journal records now. The caller holds the writer lock, so no live writer
    /// is between its append and its commit.
    public func applyPendingJournal() throws {
        try write { _ in }
    }

    /// What fsck needs to know of the journal: how far the catalog has applied it, how long its
    /// complete records are, and whether every record reads.
    public func journalProblems() throws -> (problems: [String], pending: Int) {
        let applied = try read { db in try Int64.fetchOne(db, sql: "SELECT offset FROM journal_position") ?? 0 }
        let length = try journal.size()
        if length < applied {
            return (["\(CatalogError.journalShort(path: journal.path, length: length, applied: applied))"], 0)
        }
        do {
            let all = try journal.records(from: 0)
            return ([], all.filter { $0.end > applied }.count)
        } catch {
            return (["\(error)"], 0)
        }
    }

    /// What SQLite's own checks find: page-level damage and rows whose references dangle.
    public func integrityProblems() throws -> [String] {
        try read { db in
            var out = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            for r in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") {
                out.append("table \(r[0] as String) row \(r[1] as Int64? ?? -1) refers to a missing row of \(r[2] as String)")
            }
            return out
        }
    }

    /// Every snapshot the catalog names anywhere (snapshots, versions, refs, ref log), with
    /// where it is named.
    public func snapshotReferences() throws -> [(snapshot: String, from: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, 'snapshots' FROM snapshots
                UNION ALL SELECT snapshot_id, 'version ' || d.name || '@' || v.version FROM versions v JOIN datasets d ON d.id = v.dataset_id
                UNION ALL SELECT snapshot_id, 'ref ' || name FROM refs
                UNION ALL SELECT to_id, 'ref log ' || ref || ' #' || id FROM ref_log
                UNION ALL SELECT from_id, 'ref log ' || ref || ' #' || id FROM ref_log WHERE from_id IS NOT NULL
                """).map { ($0[0], $0[1]) }
        }
    }
}
