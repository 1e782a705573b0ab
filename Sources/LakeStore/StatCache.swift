import Foundation
import LakeCore

/// What the stat cache remembers of a file from an earlier commit, so that an unchanged file
/// is not read again.
public struct CachedFile: Sendable, Equatable {
    public var size: UInt64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    public var device: UInt64
    public var object: ObjectID
    /// The profile of a tabular file, so an unchanged table is not read to count it either.
    public var table: TableProfile?

    public init(size: UInt64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64, device: UInt64, object: ObjectID, table: TableProfile?) {
        (self.size, self.mtimeNs, self.ctimeNs, self.inode, self.device, self.object, self.table) = (size, mtimeNs, ctimeNs, inode, device, object, table)
    }
}

/// The stat cache of one committed directory: `cache/stat/<sha256 of the directory's path>`,
/// a flat file in the encoding `lake-statcache v2` (docs/format.md); a file of another version
/// is ignored and replaced. It is only a cache: a
/// missing, damaged or stale file costs a re-read, never a wrong snapshot, because an entry is
/// used only when size, mtime, ctime, inode and device all match and the object is stored.
/// A flat file, like git's index, because loading and rewriting tens of thousands of rows in
/// SQLite cost more than hashing the files did.
public struct StatCache {
    static let magic = Array("lake-statcache v2\n".utf8)
    public let path: String
    let root: String
    let tmpDirectory: String

    public init(lakeDirectory: String, root: String) {
        self.root = root
        path = "\(lakeDirectory)/cache/stat/\(SHA256Hasher.hash(Array(root.utf8)).hex)"
        tmpDirectory = lakeDirectory + "/tmp"
    }

    /// The entries by relative path; empty when there is no usable file.
    public func load() -> [String: CachedFile] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return data.withUnsafeBytes { Self.decode($0, root: root) } ?? [:]
    }

    /// Replaces the file (written under `tmp/` and renamed). Failing to save only costs a
    /// re-read next time, so errors are not raised.
    public func save(_ entries: [String: CachedFile]) {
        let bytes = Self.encode(entries, root: root)
        let tmp = tmpDirectory + "/" + FileIO.uniqueName("statcache")
        do {
            try FileIO.makeDirectories(FileIO.parent(path))
            let fd = try FileIO.open(tmp, O_WRONLY | O_CREAT | O_EXCL)
            defer { close(fd) }
            try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: tmp) }
            try FileIO.rename(tmp, path)
        } catch {
            unlink(tmp)
        }
    }

    static func encode(_ entries: [String: CachedFile], root: String) -> [UInt8] {
        var out = magic
        out.reserveCapacity(magic.count + entries.count * 128)
        append(root, to: &out)
        for (path, e) in entries {
            append(path, to: &out)
            for v in [e.size, UInt64(bitPattern: e.mtimeNs), UInt64(bitPattern: e.ctimeNs), e.inode, e.device] {
                append(v, to: &out)
            }
            out.append(contentsOf: e.object.digest)
            append(UInt64(bitPattern: e.table?.rows ?? -1), to: &out)
            if let table = e.table {
                append(UInt64(table.parseErrors), to: &out)
                append(UInt64(table.columns.count), to: &out)
                for c in table.columns { append(c, to: &out) }
            }
        }
        return out
    }

    static func decode(_ raw: UnsafeRawBufferPointer, root: String) -> [String: CachedFile]? {
        var reader = Reader(raw: raw)
        guard reader.take(magic.count).map(Array.init) == magic, reader.string() == root else { return nil }
        var out = [String: CachedFile]()
        out.reserveCapacity(raw.count / 128)  // an entry takes about 150 bytes
        while !reader.atEnd {
            guard let path = reader.string(), let size = reader.u64(), let mtime = reader.u64(), let ctime = reader.u64(),
                  let inode = reader.u64(), let device = reader.u64(), let digest = reader.take(32), let rows = reader.u64()
            else { return nil }
            var table: TableProfile?
            if Int64(bitPattern: rows) >= 0 {
                guard let errors = reader.u64(), let count = reader.u64(), count <= TableProfile.maxColumns else { return nil }
                var columns = [String]()
                for _ in 0 ..< count {
                    guard let c = reader.string() else { return nil }
                    columns.append(c)
                }
                table = TableProfile(rows: Int64(bitPattern: rows), columns: columns, parseErrors: Int64(bitPattern: errors))
            }
            out[path] = CachedFile(size: size, mtimeNs: Int64(bitPattern: mtime), ctimeNs: Int64(bitPattern: ctime), inode: inode,
                                   device: device, object: ObjectID(digest: Array(digest)), table: table)
        }
        return out
    }

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset >= raw.count }

        mutating func take(_ n: Int) -> UnsafeRawBufferPointer? {
            guard n >= 0, offset + n <= raw.count else { return nil }
            defer { offset += n }
            return UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + n])
        }

        mutating func u64() -> UInt64? {
            take(8).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }

        mutating func string() -> String? {
            guard let n = u64(), n < 1 << 20, let bytes = take(Int(n)) else { return nil }
            return String(validating: bytes, as: UTF8.self)
        }
    }
}
