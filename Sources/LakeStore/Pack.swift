import CLakeSys
import Foundation
import LakeCore

/// The pack file format `lake-pack v1` (docs/format.md): object bytes back to back, then an
/// index of 48-byte entries sorted by ID (32-byte digest, offset and length as little-endian
/// UInt64), then a 32-byte trailer: index offset, entry count, and the magic `lake-pack v1\0\0\0\0`.
/// A pack is written under `tmp/` and renamed into `packs/` whole, so a pack in `packs/` is
/// always complete; it is never modified afterwards.
public enum PackFormat {
    static let magic: [UInt8] = Array("lake-pack v1".utf8) + [0, 0, 0, 0]
    public static let trailerSize = 32
    public static let entrySize = 48

    public struct Entry: Sendable {
        public var id: ObjectID
        public var offset: UInt64
        public var length: UInt64
    }

    /// A whole pack built in memory (a remote's pack goes up in one request): objects are
    /// appended as they are read, then `finish()` adds the index and names the pack (the hash
    /// of index and trailer, as for packs on disk).
    public struct Builder {
        private var data: [UInt8] = []
        private var entries: [Entry] = []

        public init(capacity: Int) { data.reserveCapacity(capacity) }

        /// Appends one object, whose bytes `produce` hands to the sink it gets, in chunks.
        public mutating func append(_ id: ObjectID, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) rethrows {
            let start = data.count
            try produce { data.append(contentsOf: $0) }
            entries.append(Entry(id: id, offset: UInt64(start), length: UInt64(data.count - start)))
        }

        public var byteCount: Int { data.count }

        public mutating func finish() -> (name: String, bytes: [UInt8]) {
            let index = PackFormat.encodeIndex(entries, indexOffset: UInt64(data.count))
            data.append(contentsOf: index)
            return (SHA256Hasher.hash(index).hex, data)
        }
    }

    static func encodeIndex(_ entries: [Entry], indexOffset: UInt64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(entries.count * entrySize + trailerSize)
        for e in entries.sorted(by: { $0.id < $1.id }) {
            out.append(contentsOf: e.id.digest)
            appendLE(e.offset, to: &out)
            appendLE(e.length, to: &out)
        }
        appendLE(indexOffset, to: &out)
        appendLE(UInt64(entries.count), to: &out)
        out.append(contentsOf: magic)
        return out
    }

    static func readIndex(path: String) throws -> [Entry] {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError("stat", path: path) }
        let size = UInt64(st.st_size)
        guard size >= UInt64(trailerSize) else { throw StoreError.corruptPack(path: path, problem: "shorter than its trailer") }
        var trailer = [UInt8](repeating: 0, count: trailerSize)
        let n = try trailer.withUnsafeMutableBytes { try FileIO.pread(fd, $0.baseAddress!, trailerSize, at: size - UInt64(trailerSize), path: path) }
        guard n == trailerSize else { throw StoreError.corruptPack(path: path, problem: "shorter than its trailer") }
        let (indexOffset, count) = try parseTrailer(trailer, fileSize: size, path: path)
        var raw = [UInt8](repeating: 0, count: Int(count) * entrySize)
        let got = try raw.withUnsafeMutableBytes { try FileIO.pread(fd, $0.baseAddress!, $0.count, at: indexOffset, path: path) }
        guard got == raw.count else { throw StoreError.corruptPack(path: path, problem: "index truncated") }
        return try parseEntries(raw, indexOffset: indexOffset, path: path)
    }

    /// The index offset and entry count a pack's last 32 bytes give, checked against its size.
    public static func parseTrailer(_ trailer: [UInt8], fileSize size: UInt64, path: String) throws -> (indexOffset: UInt64, count: Int) {
        guard trailer.count == trailerSize, Array(trailer[16...]) == magic else {
            throw StoreError.corruptPack(path: path, problem: "no 'lake-pack v1' trailer")
        }
        let indexOffset = readLE(trailer, at: 0), count = readLE(trailer, at: 8)
        guard indexOffset <= size, count <= (size - indexOffset) / UInt64(entrySize),
              indexOffset + count * UInt64(entrySize) + UInt64(trailerSize) == size else {
            throw StoreError.corruptPack(path: path, problem: "index offset or count out of range")
        }
        return (indexOffset, Int(count))
    }

    /// The entries of a pack given its tail: the bytes from `index_offset` to the end (index
    /// and trailer), as a remote's pack index is fetched and cached.
    public static func parseTail(_ tail: [UInt8], path: String) throws -> [Entry] {
        guard tail.count >= trailerSize else { throw StoreError.corruptPack(path: path, problem: "shorter than its trailer") }
        let trailer = Array(tail.suffix(trailerSize))
        let (indexOffset, _) = try parseTrailer(trailer, fileSize: readLE(trailer, at: 0) + UInt64(tail.count), path: path)
        return try parseEntries(Array(tail.dropLast(trailerSize)), indexOffset: indexOffset, path: path)
    }

    /// The entries of a pack's index (`raw`: the bytes from `indexOffset`, trailer excluded).
    public static func parseEntries(_ raw: [UInt8], indexOffset: UInt64, path: String) throws -> [Entry] {
        var entries = [Entry]()
        entries.reserveCapacity(raw.count / entrySize)
        for i in 0 ..< raw.count / entrySize {
            let base = i * entrySize
            let e = Entry(id: ObjectID(digest: raw[base ..< base + 32]),
                          offset: readLE(raw, at: base + 32), length: readLE(raw, at: base + 40))
            guard e.offset <= indexOffset, e.length <= indexOffset - e.offset else {
                throw StoreError.corruptPack(path: path, problem: "entry \(e.id) points outside the data")
            }
            entries.append(e)
        }
        return entries
    }

    private static func appendLE(_ v: UInt64, to out: inout [UInt8]) {
        for i in 0 ..< 8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    private static func readLE(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}

/// Appends small objects to one new pack file; one writer per thread, so writers never share a
/// file. `finish()` writes the index and moves the pack into `packs/`.
public final class PackWriter {
    private let store: ObjectStore
    private let tmpPath: String
    /// Opened at the first append, so a writer that gets nothing creates no file.
    private var fd: Int32 = -1
    private var offset: UInt64 = 0
    private var written: UInt64 = 0
    private var entries: [PackFormat.Entry] = []
    private var buffer: [UInt8] = []
    private static let flushSize = 4 << 20

    init(store: ObjectStore) {
        self.store = store
        tmpPath = store.tmpDirectory + "/" + FileIO.uniqueName("pack") + ".tmp"
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(tmpPath)
        }
    }

    public func append(_ id: ObjectID, _ bytes: UnsafeRawBufferPointer) throws {
        entries.append(.init(id: id, offset: offset, length: UInt64(bytes.count)))
        offset += UInt64(bytes.count)
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushSize { try flush() }
    }

    private func flush() throws {
        if fd < 0 { fd = try FileIO.open(tmpPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444) }
        try buffer.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: tmpPath) }
        lake_start_writeback(fd, Int64(written), Int64(buffer.count))
        written += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the index and renames the pack into `packs/` under the hash of its index (a name
    /// that no other pack can take). Returns nil when nothing was appended.
    @discardableResult
    public func finish() throws -> String? {
        guard !entries.isEmpty else { return nil }
        let index = PackFormat.encodeIndex(entries, indexOffset: offset)
        buffer.append(contentsOf: index)
        try flush()
        let name = SHA256Hasher.hash(index).hex
        let path = "\(store.packsDirectory)/\(name).pack"
        try store.put(tmpPath, at: path)
        close(fd)
        fd = -1
        try store.registerPack(path: path, entries: entries)
        entries = []
        return path
    }
}

extension ObjectStore {
    /// Moves the objects of `packs` that `keep` accepts into one new pack, durable before any
    /// of `packs` is removed, so an object is always stored somewhere. What each pack holds is
    /// read from its own index: an object stored twice (two commits at once, a merge cut short)
    /// is copied from the first of `packs` holding it, not only from the pack lookups find it
    /// in, which may be damaged or not among `packs`. Each object is checked against its ID on
    /// the way: a mismatch throws `StoreError.corruptObject` naming its pack, and removes
    /// nothing. A pack whose index does not read is damaged (`lake fsck` names it): it is left
    /// as it is, neither read nor removed.
    /// The caller holds the gc lock exclusively: no writer is in flight. A reader that read the
    /// indexes before finds the objects in the new pack (`stream(_:checkingParts:_:)`).
    public func rewrite(packs: Set<String>, keeping keep: (ObjectID) -> Bool) throws {
        // Pack by pack, each front to back.
        let readable = packs.sorted().compactMap { path in
            (try? PackFormat.readIndex(path: path)).map { (path: path, entries: $0.sorted { $0.offset < $1.offset }) }
        }
        let writer = PackWriter(store: self)
        var copied = Set<ObjectID>()
        for (path, entries) in readable {
            for entry in entries where keep(entry.id) && !copied.contains(entry.id) {
                var bytes = [UInt8]()
                let actual = try read(at: .packed(path: path, offset: entry.offset, length: entry.length)) { bytes.append(contentsOf: $0) }
                guard actual == entry.id else { throw StoreError.corruptObject(entry.id, actual: actual, location: path) }
                try bytes.withUnsafeBytes { try writer.append(entry.id, $0) }
                copied.insert(entry.id)
            }
        }
        // The new pack can have the name of one of `packs` (a pack's name is the hash of its
        // index): when a merge ended before its removals, the next one rewrites what it made.
        let made = try writer.finish()
        try syncWritten()
        let removed = Set(readable.map(\.path)).subtracting(made.map { [$0] } ?? [])
        for pack in removed.sorted() {
            guard unlink(pack) == 0 || errno == ENOENT else { throw SystemError("remove", path: pack) }
        }
        forgetDescriptors(of: removed)
        reloadPackIndexes()
    }
}
