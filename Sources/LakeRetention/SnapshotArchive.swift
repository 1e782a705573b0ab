import Foundation
import LakeCore
import LakeStore

/// A snapshot as a `tar --zstd` file: every entry under one top-level directory (the original
/// directory's name), modes kept, so `tar --zstd -xf` gives back the tree (docs/format.md).
public enum SnapshotArchive {
    /// What was written.
    public struct Written: Sendable, Equatable {
        /// `sha256:<hex>` of the compressed file.
        public var sha256: String
        public var size: UInt64
    }

    /// Writes the archive to `path` (under a temporary name, renamed when complete) and
    /// verifies it against the manifest (`verify`), which checks every byte once: objects are
    /// read without hashing. The check runs on threads of its own that re-read the file while
    /// it is written, so on two cores the decompressing and hashing overlap the compressing
    /// (run after it, the check made archiving 15% slower than `tar --zstd -cf`). An archive
    /// that does not verify is deleted and the check's error thrown.
    public static func write(_ manifest: Manifest, store: ObjectStore, rootName: String, to path: String,
                             mtime: Int64, level: Int32 = 3) throws -> Written {
        let tmp = store.tmpDirectory + "/archive-\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw SystemError("create", path: tmp) }
        var hasher = SHA256Hasher()
        var size: UInt64 = 0
        let written = WrittenLength()
        let check = Concurrent { try verify(ZstdReader(path: tmp, following: written), path: tmp, manifest: manifest, rootName: rootName) }
        do {
            defer {
                close(fd)
                written.end()
            }
            let zstd = try ZstdWriter(fd: fd, path: tmp, level: level, workers: Int32(Environment.cores)) {
                hasher.update($0)
                size += UInt64($0.count)
                written.add($0.count)
            }
            func emit(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try zstd.write($0) } }
            try emit(TarFormat.header(TarEntry(path: rootName, kind: .directory, mode: 0o755, size: 0, linkTarget: nil, mtime: mtime)))
            var directories: Set<String> = []
            for e in manifest.entries {
                var parents = [String]()
                var dir = FileIO.parent(e.path)
                while !dir.isEmpty, !directories.contains(dir) { parents.append(dir); dir = FileIO.parent(dir) }
                for d in parents.reversed() {
                    directories.insert(d)
                    try emit(TarFormat.header(TarEntry(path: rootName + "/" + d, kind: .directory, mode: 0o755, size: 0, linkTarget: nil, mtime: mtime)))
                }
                if e.isSymlink {
                    let target = String(decoding: try store.bytes(of: e.object), as: UTF8.self)
                    try emit(TarFormat.header(TarEntry(path: rootName + "/" + e.path, kind: .symlink, mode: 0o777, size: 0, linkTarget: target, mtime: mtime)))
                    continue
                }
                try emit(TarFormat.header(TarEntry(path: rootName + "/" + e.path, kind: .file, mode: e.isExecutable ? 0o755 : 0o644,
                                                   size: e.size, linkTarget: nil, mtime: mtime)))
                try store.readUnverified(e.object) { try zstd.write($0) }
                try emit(TarFormat.padding(after: e.size))
            }
            try emit(TarFormat.end)
            try zstd.finish()
        } catch {
            _ = try? check.value()
            unlink(tmp)
            throw error
        }
        do {
            try check.value()
        } catch {
            unlink(tmp)
            throw error
        }
        try FileManager.default.createDirectory(atPath: FileIO.parent(path), withIntermediateDirectories: true)
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw SystemError("rename", path: path)
        }
        return Written(sha256: hasher.finalize().description, size: size)
    }

    /// `sha256:<hex>` of a file's bytes.
    public static func sha256(of path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw SystemError("read", path: path) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
        }
        return hasher.finalize().description
    }

    /// Re-reads the archive and checks every entry against the manifest: each file's bytes must
    /// hash to its object, each link must name its target, modes and sizes must match, no entry
    /// may be missing, extra or outside the top-level directory. With `restoringInto`, the
    /// bytes are stored as objects as they are checked (the caller syncs, and discards them
    /// when this throws).
    public static func verify(_ path: String, manifest: Manifest, rootName: String, restoringInto batch: ObjectBatch? = nil) throws {
        try verify(ZstdReader(path: path), path: path, manifest: manifest, rootName: rootName, restoringInto: batch)
    }

    private static func verify(_ reader: ZstdReader, path: String, manifest: Manifest, rootName: String, restoringInto batch: ObjectBatch? = nil) throws {
        var stream = TarStream(reader: reader, path: path)
        var expected = Dictionary(manifest.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        while let entry = try stream.nextEntry() {
            let relative: String
            if entry.path == rootName {
                relative = ""
            } else if entry.path.hasPrefix(rootName + "/") {
                relative = String(entry.path.dropFirst(rootName.count + 1))
            } else {
                throw ArchiveError.unsafeEntry(path: path, entry: entry.path, problem: "it is outside the archive's directory '\(rootName)'")
            }
            if !relative.isEmpty, !Manifest.isSafePath(relative) {
                throw ArchiveError.unsafeEntry(path: path, entry: entry.path, problem: "absolute paths, '.', '..' and empty segments are refused")
            }
            if entry.kind == .directory {
                try stream.skipContent(entry)
                continue
            }
            guard let want = expected.removeValue(forKey: relative) else {
                throw ArchiveError.mismatch(path: path, entry: entry.path, problem: "the snapshot has no such file")
            }
            switch entry.kind {
            case .symlink:
                guard want.isSymlink, entry.linkTarget.map({ SHA256Hasher.hash(Array($0.utf8)) }) == want.object else {
                    throw ArchiveError.mismatch(path: path, entry: entry.path, problem: "the link or its target differs")
                }
                if let batch { try batch.store(Array(entry.linkTarget!.utf8)) }
            default:
                guard !want.isSymlink, entry.size == want.size, (entry.mode & 0o100 != 0) == want.isExecutable else {
                    throw ArchiveError.mismatch(path: path, entry: entry.path, problem: "size or mode differs (\(entry.size) bytes, mode \(String(entry.mode, radix: 8)))")
                }
                var hasher = SHA256Hasher()
                if let batch {
                    let stored = try batch.storeChunks(size: entry.size, expecting: want.object) { sink in try stream.readContent(entry) { try sink($0) } }
                    guard stored == want.object else { throw ArchiveError.mismatch(path: path, entry: entry.path, problem: "its bytes hash to \(stored), not \(want.object)") }
                } else {
                    try stream.readContent(entry) { hasher.update($0) }
                    let actual = hasher.finalize()
                    guard actual == want.object else { throw ArchiveError.mismatch(path: path, entry: entry.path, problem: "its bytes hash to \(actual), not \(want.object)") }
                }
            }
        }
        if let missing = expected.keys.sorted(by: String.utf8Precedes).first {
            throw ArchiveError.mismatch(path: path, entry: rootName + "/" + missing, problem: "the archive lacks this file of the snapshot")
        }
    }
}

/// Reads tar entries from a decompressed stream.
struct TarStream {
    let reader: ZstdReader
    let path: String
    private var buffer: [UInt8] = []
    private var offset = 0
    private var current: String?

    init(reader: ZstdReader, path: String) { (self.reader, self.path) = (reader, path) }

    private mutating func take(_ n: Int) throws -> [UInt8]? {
        while buffer.count - offset < n {
            guard let more = try reader.next() else {
                if buffer.count == offset { return nil }
                throw ArchiveError.truncated(path: path, entry: current)
            }
            buffer.removeSubrange(0 ..< offset)
            buffer.append(contentsOf: more)
            offset = 0
        }
        defer { offset += n }
        return Array(buffer[offset ..< offset + n])
    }

    /// The next file, directory or link; nil after the end blocks.
    mutating func nextEntry() throws -> TarEntry? {
        var pax = [String: String]()
        while true {
            guard let block = try take(TarFormat.block) else { throw ArchiveError.truncated(path: path, entry: current) }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            let (type, entry) = try TarFormat.parse(block, pax: pax, archive: path)
            current = entry.path
            switch type {
            case UInt8(ascii: "x"):
                guard entry.size < 1 << 20, let body = try take(Int(entry.size)) else { throw ArchiveError.truncated(path: path, entry: current) }
                _ = try take(TarFormat.padding(after: entry.size).count)
                pax = try TarFormat.paxRecords(body, archive: path)
            case 0, UInt8(ascii: "0"), UInt8(ascii: "5"), UInt8(ascii: "2"):
                return entry
            default:
                throw ArchiveError.unsafeEntry(path: path, entry: entry.path, problem: "entry type '\(Character(Unicode.Scalar(type)))' is not a file, directory or symbolic link")
            }
        }
    }

    /// Hands the entry's bytes to `body` straight from the decompressed chunks, without copies.
    mutating func readContent(_ entry: TarEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = entry.size
        while left > 0 {
            if offset == buffer.count {
                guard let more = try reader.next() else { throw ArchiveError.truncated(path: path, entry: entry.path) }
                (buffer, offset) = (more, 0)
            }
            let n = Int(min(left, UInt64(buffer.count - offset)))
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[offset ..< offset + n])) }
            offset += n
            left -= UInt64(n)
        }
        _ = try take(TarFormat.padding(after: entry.size).count)
    }

    mutating func skipContent(_ entry: TarEntry) throws {
        try readContent(entry) { _ in }
    }
}
