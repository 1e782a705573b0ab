import Foundation
import LakeCore
import LakeStore

/// One fact the catalog records that the objects alone do not hold: a version was made, or a
/// ref moved. Encoded as one JSON line (docs/format.md).
public enum JournalRecord: Equatable, Sendable {
    case version(VersionEntry)
    /// A run with its inputs, and the versions its outputs became.
    case run(RunRecord)
    /// A snapshot written to a verified archive.
    case archive(ArchiveRecord)
    case refMove(RefMoveEntry)

    public struct VersionEntry: Codable, Equatable, Sendable {
        public var dataset: String
        public var kind: String
        public var version: Int
        public var snapshot: String
        public var at: String
        public var message: String?
        public var source: String
        public var sourcePath: String?
    }

    public struct RefMoveEntry: Codable, Equatable, Sendable {
        public var ref: String
        public var from: String?
        public var to: String
        public var action: String
        public var actor: String
        public var at: String
        public var message: String?
        public var gates: [GateResult]?
    }
}

extension JournalRecord: Codable {
    private enum CodingKeys: String, CodingKey { case type }

    public init(from decoder: Decoder) throws {
        switch try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .type) {
        case "version": self = .version(try VersionEntry(from: decoder))
        case "run": self = .run(try RunRecord(from: decoder))
        case "archive": self = .archive(try ArchiveRecord(from: decoder))
        case "ref": self = .refMove(try RefMoveEntry(from: decoder))
        case let other:
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.type], debugDescription: "unknown record type '\(other)'"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .version(let v):
            try container.encode("version", forKey: .type)
            try v.encode(to: encoder)
        case .run(let r):
            try container.encode("run", forKey: .type)
            try r.encode(to: encoder)
        case .archive(let a):
            try container.encode("archive", forKey: .type)
            try a.encode(to: encoder)
        case .refMove(let m):
            try container.encode("ref", forKey: .type)
            try m.encode(to: encoder)
        }
    }
}

/// The catalog's journal (`journal.jsonl`): every version and ref move, appended and synced
/// before the catalog transaction that applies it. The catalog is an index over the journal and
/// the manifests: it can be rebuilt from them (invariant 7), and a record whose transaction
/// never committed (a crash in between) is applied by the next writer.
/// Appends happen only under the lake's writer lock.
public struct Journal: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Sorted keys, snake case, unescaped slashes: how journal and index lines are written.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }

    /// Reads what `encoder()` writes.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    /// Appends one record, not yet synced (the catalog transaction syncs once, before it
    /// commits: `sync()`); returns the journal's size after it. A torn last line left by a
    /// crash is cut off first, so it never glues onto the new record.
    func append(_ record: JournalRecord) throws -> Int64 {
        try Self.appendLine(Self.encoder().encode(record), to: path, sync: false)
    }

    /// Makes every appended record durable.
    func sync() throws {
        try FileIO.sync(path)
    }

    /// Appends `json` and a newline to an append-only JSON-lines file (the journal, the archive
    /// index) and syncs it unless told not to; a torn last line left by a crash is cut off
    /// first. Returns the file's length after it.
    public static func appendLine(_ json: Data, to path: String, sync: Bool = true) throws -> Int64 {
        var line = json
        line.append(0x0A)
        let created = access(path, F_OK) != 0
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        defer { close(fd) }
        // A new journal's name must be as durable as its first record.
        if created { try FileIO.sync(FileIO.parent(path), directory: true) }
        let end = try completeLength(fd, path: path)
        guard ftruncate(fd, off_t(end)) == 0 else { throw SystemError("truncate", path: path) }
        let written = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(end)) }
        guard written == line.count else { throw SystemError("write", path: path) }
        guard !sync || fdatasync(fd) == 0 else { throw SystemError("sync", path: path) }
        return end + Int64(line.count)
    }

    /// Cuts the journal back to `length` (a record whose transaction failed).
    func truncate(to length: Int64) throws {
        guard Glibc.truncate(path, off_t(length)) == 0 else { throw SystemError("truncate", path: path) }
    }

    /// The length up to and including the last newline.
    private static func completeLength(_ fd: Int32, path: String) throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError("stat", path: path) }
        var end = Int64(st.st_size)
        var byte: UInt8 = 0
        while end > 0 {
            guard pread(fd, &byte, 1, off_t(end - 1)) == 1 else { throw SystemError("read", path: path) }
            if byte == 0x0A { break }
            end -= 1
        }
        return end
    }

    /// The complete records from byte `offset` on, each with the offset just past it.
    func records(from offset: Int64) throws -> [(record: JournalRecord, end: Int64)] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if errno == ENOENT { return [] }
            throw SystemError("open", path: path)
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let data = try handle.readToEnd() ?? Data()
        let decoder = Self.decoder()
        var out = [(JournalRecord, Int64)]()
        var position = offset
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            let line = data[start ..< newline]
            position += Int64(line.count + 1)
            do {
                out.append((try decoder.decode(JournalRecord.self, from: line), position))
            } catch {
                throw CatalogError.journalDamaged(path: path, offset: position - Int64(line.count + 1), problem: "\(error)")
            }
            start = data.index(after: newline)
        }
        return out
    }

    /// The length of the journal's complete records, without a torn last line: what a
    /// caught-up catalog has applied.
    func size() throws -> Int64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return 0 }
            throw SystemError("open", path: path)
        }
        defer { close(fd) }
        return try Self.completeLength(fd, path: path)
    }
}
