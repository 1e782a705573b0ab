import CXXHash
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

    /// The file's entries; none when there is no usable file.
    public func load() -> Entries {
        guard let bytes = FileIO.contents(of: path), !bytes.isEmpty else { return Entries() }
        return Entries(bytes, root: root) ?? Entries()
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

    /// A stat cache file as read: an entry is decoded when its path is asked for. A commit of
    /// 55,000 unchanged files asks for every one, yet decoding them all into a dictionary by
    /// path (a String, a hash of it and a table profile per entry) took longer than listing the
    /// tree; here loading walks the file once and keeps one offset per entry.
    public struct Entries: Sendable {
        private let bytes: [UInt8]
        /// Where each entry starts, by the XXH3 hash of its path bytes; nil where two entries
        /// share a hash, so that neither is used (a re-read, never a wrong entry).
        private let starts: [UInt64: Int?]
        /// How many entries the file holds.
        public let count: Int

        public init() { (bytes, starts, count) = ([], [:], 0) }

        /// Nil when the magic or root differs, or the file ends inside an entry.
        init?(_ bytes: [UInt8], root: String) {
            let found = bytes.withUnsafeBytes { raw -> (starts: [UInt64: Int?], count: Int)? in
                var reader = Reader(raw)
                guard reader.take(magic.count).map({ $0.elementsEqual(magic) }) == true,
                      reader.take(reader.u64()).map({ $0.elementsEqual(root.utf8) }) == true else { return nil }
                var starts = [UInt64: Int?](minimumCapacity: raw.count / 128)  // an entry takes about 150 bytes
                var count = 0
                while !reader.atEnd {
                    let start = reader.offset
                    guard let path = reader.take(reader.u64()), reader.take(fixedSize) != nil, let rows = reader.u64() else { return nil }
                    if Int64(bitPattern: rows) >= 0 {
                        guard reader.u64() != nil, let columns = reader.u64(), columns <= TableProfile.maxColumns else { return nil }
                        for _ in 0 ..< columns { guard reader.take(reader.u64()) != nil else { return nil } }
                    }
                    let key = Self.key(path)
                    starts[key] = starts[key] == nil ? start : .some(nil)
                    count += 1
                }
                return (starts, count)
            }
            guard let found else { return nil }
            (self.bytes, self.starts, self.count) = (bytes, found.starts, found.count)
        }

        /// The entry for `path`, if the file has exactly one and its strings are valid UTF-8.
        public subscript(path: String) -> CachedFile? {
            read(path) { reader in
                guard let size = reader.u64(), let mtime = reader.u64(), let ctime = reader.u64(), let inode = reader.u64(),
                      let device = reader.u64(), let digest = reader.take(32), let rows = reader.u64() else { return nil }
                var table: TableProfile?
                if Int64(bitPattern: rows) >= 0 {
                    guard let errors = reader.u64(), let count = reader.u64() else { return nil }
                    var columns = [String]()
                    for _ in 0 ..< count {
                        guard let raw = reader.take(reader.u64()), let column = String(validUTF8: raw.assumingMemoryBound(to: UInt8.self)) else { return nil }
                        columns.append(column)
                    }
                    table = TableProfile(rows: Int64(bitPattern: rows), columns: columns, parseErrors: Int64(bitPattern: errors))
                }
                return CachedFile(size: size, mtimeNs: Int64(bitPattern: mtime), ctimeNs: Int64(bitPattern: ctime), inode: inode,
                                  device: device, object: ObjectID(digest: digest.assumingMemoryBound(to: UInt8.self)), table: table)
            }
        }

        /// The size the entry for `path` records, without decoding the rest of it.
        public func size(of path: String) -> UInt64? {
            read(path) { $0.u64() }
        }

        private static func key(_ path: UnsafeRawBufferPointer) -> UInt64 {
            lake_xxh3_64(path.baseAddress, path.count)
        }

        /// `body`'s reading of the entry whose path has the bytes of `path`, from just after
        /// the path; nil when there is no such entry.
        private func read<T>(_ path: String, _ body: (inout Reader) -> T?) -> T? {
            guard !starts.isEmpty else { return nil }
            func read(_ path: UnsafeRawBufferPointer) -> T? {
                guard let start = starts[Self.key(path)] ?? nil else { return nil }
                return bytes.withUnsafeBytes { raw -> T? in
                    // Its bounds were checked when the file was loaded.
                    var reader = Reader(raw, at: start)
                    guard let stored = reader.take(reader.u64()), stored.count == path.count,
                          path.isEmpty || memcmp(stored.baseAddress!, path.baseAddress!, path.count) == 0 else { return nil }
                    return body(&reader)
                }
            }
            let found = path.utf8.withContiguousStorageIfAvailable { read(UnsafeRawBufferPointer($0)) }
            return found ?? Array(path.utf8).withUnsafeBytes(read)
        }
    }

    /// The bytes of an entry between its path and its row count: five integers and a digest.
    private static let fixedSize = 5 * 8 + 32

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset: Int

        init(_ raw: UnsafeRawBufferPointer, at offset: Int = 0) { (self.raw, self.offset) = (raw, offset) }

        var atEnd: Bool { offset >= raw.count }

        /// The next `n` bytes; nil past the end, or for a string length of 1 MiB or more.
        mutating func take(_ n: UInt64?) -> UnsafeRawBufferPointer? {
            guard let n, n < 1 << 20, offset + Int(n) <= raw.count else { return nil }
            defer { offset += Int(n) }
            return UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + Int(n)])
        }

        mutating func take(_ n: Int) -> UnsafeRawBufferPointer? { take(UInt64(n)) }

        mutating func u64() -> UInt64? {
            take(8).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }
    }
}
