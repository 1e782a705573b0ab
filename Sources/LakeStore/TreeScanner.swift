import Foundation
import LakeCore

/// Lists the files under a directory (or the one file given) without reading them.
enum TreeScanner {
    struct Entry {
        /// Relative to the base, slash-separated.
        var path: String
        /// What readdir said the entry was: a regular file can be opened without a stat first.
        var isRegular = false
    }

    struct Tree {
        /// The directory the entry paths are relative to.
        var base: String
        var entries: [Entry]
    }

    /// Lists `path`: a directory's files, links and special files (refused later, with their
    /// path), recursively; or a single file as one entry named by its base name. Directories
    /// whose identity is in `skipping` (the lake itself) are left out.
    static func scan(_ path: String, skipping: Set<FileIdentity> = []) throws -> Tree {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { throw StoreError.sourceMissing(path) }
            throw SystemError("stat", path: path)
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let trimmed = absolute.count > 1 && absolute.hasSuffix("/") ? String(absolute.dropLast()) : absolute
        guard st.st_mode & S_IFMT == S_IFDIR else {
            return Tree(base: FileIO.parent(trimmed), entries: [Entry(path: FileIO.baseName(trimmed), isRegular: st.st_mode & S_IFMT == S_IFREG)])
        }
        var entries = [Entry]()
        try walk(trimmed, relative: "", skipping: skipping, into: &entries)
        return Tree(base: trimmed, entries: entries)
    }

    /// Lists a directory's children in manifest order: by the UTF-8 bytes of their names, a
    /// directory's name read as if it ended in `/` (as git orders tree entries). Walking
    /// depth-first in this order yields every path in byte order, so the manifest needs no sort.
    private static func walk(_ dir: String, relative: String, skipping: Set<FileIdentity>, into entries: inout [Entry]) throws {
        // The sort keys, back to back in one buffer: each child's name, a directory's followed
        // by `/`. Sorting indexes by them allocates nothing per child.
        var keys = [UInt8]()
        var children = [(name: String, type: UInt8, key: Range<Int>)]()
        try forEachChild(of: dir) { name, type in
            let start = keys.count
            keys.append(contentsOf: name.utf8)
            if type == UInt8(DT_DIR) { keys.append(UInt8(ascii: "/")) }
            children.append((name, type, start ..< keys.count))
        }
        let order = keys.withUnsafeBufferPointer { k in
            children.indices.sorted { i, j in
                let a = children[i].key, b = children[j].key
                let n = memcmp(k.baseAddress! + a.lowerBound, k.baseAddress! + b.lowerBound, min(a.count, b.count))
                return n != 0 ? n < 0 : a.count < b.count
            }
        }
        for i in order {
            let (name, type, _) = children[i]
            let rel = relative.isEmpty ? name : relative + "/" + name
            if type == UInt8(DT_DIR) {
                let full = dir + "/" + name
                if !skipping.isEmpty, let id = FileIdentity(path: full), skipping.contains(id) { continue }
                try walk(full, relative: rel, skipping: skipping, into: &entries)
            } else {
                entries.append(Entry(path: rel, isRegular: type == UInt8(DT_REG)))
            }
        }
    }

    /// Calls `body` with the name and type (`DT_DIR`, `DT_REG` or another `DT_` value) of every
    /// entry of `dir` but `.` and `..`, in the order readdir gives them.
    private static func forEachChild(of dir: String, _ body: (String, UInt8) -> Void) throws {
        guard let handle = opendir(dir) else { throw SystemError("read directory", path: dir) }
        defer { closedir(handle) }
        while let ent = readdir(handle) {
            let name: String? = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
            }
            guard let name else {
                let raw = withUnsafePointer(to: &ent.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                throw StoreError.invalidPathName(dir + "/" + raw)
            }
            if name == "." || name == ".." { continue }
            var type = ent.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var st = stat()
                guard lstat(dir + "/" + name, &st) == 0 else { throw SystemError("stat", path: dir + "/" + name) }
                type = st.st_mode & S_IFMT == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG)
            }
            body(name, type)
        }
    }

    /// Whether a link at `link` (relative to the tree) with `target` resolves inside the tree,
    /// judged on the text alone: absolute targets and targets that climb above the root escape.
    static func staysInside(link: String, target: String) -> Bool {
        guard !target.hasPrefix("/"), !target.isEmpty else { return false }
        var depth = link.split(separator: "/").count - 1
        for part in target.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { return false }
        }
        return true
    }

    static func describe(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFIFO: return "fifo"
        case S_IFSOCK: return "socket"
        case S_IFDIR: return "directory"
        default: return "special file"
        }
    }
}

/// A file's device and inode: which directory is the lake, whatever path names it.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
