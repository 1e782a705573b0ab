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
        return Tree(base: trimmed, entries: try Lister(root: trimmed, skipping: skipping).entries())
    }

    /// A directory's children in manifest order: by the UTF-8 bytes of their names, a
    /// directory's name read as if it ended in `/` (as git orders tree entries). Walking
    /// depth-first in this order yields every path in byte order, so the manifest needs no sort.
    fileprivate struct Children {
        /// The names back to back, each directory's followed by `/`: the sort keys.
        var keys: [UInt8] = []
        /// Where each child's name is in `keys` (without the `/`), and its type (`DT_DIR`,
        /// `DT_REG` or another `DT_` value), in manifest order.
        var ordered: [(name: Range<Int>, type: UInt8)] = []
    }

    /// Reads `dir`. Names stay bytes until they become paths: a String per name, and sorting
    /// values that hold one, cost more than reading the directory did.
    fileprivate static func children(of dir: String) throws -> Children {
        guard let handle = opendir(dir) else { throw SystemError("read directory", path: dir) }
        defer { closedir(handle) }
        var children = Children(), listed = [(name: Range<Int>, type: UInt8, key: Range<Int>)]()
        while let ent = readdir(handle) {
            let start = children.keys.count
            withUnsafeBytes(of: &ent.pointee.d_name) { name in
                children.keys.append(contentsOf: name.prefix { $0 != 0 })
            }
            let name = start ..< children.keys.count
            if name.count <= 2, children.keys[name].allSatisfy({ $0 == UInt8(ascii: ".") }) {
                children.keys.removeSubrange(name)
                continue
            }
            var type = ent.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                guard let child = String(validUTF8: children.keys[name]) else {
                    throw StoreError.invalidPathName(dir + "/" + String(decoding: children.keys[name], as: UTF8.self))
                }
                let path = dir + "/" + child
                var st = stat()
                guard lstat(path, &st) == 0 else { throw SystemError("stat", path: path) }
                type = st.st_mode & S_IFMT == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG)
            }
            if type == UInt8(DT_DIR) { children.keys.append(UInt8(ascii: "/")) }
            listed.append((name, type, start ..< children.keys.count))
        }
        children.keys.withUnsafeBufferPointer { k in
            listed.sort { x, y in
                let a = x.key, b = y.key
                let n = memcmp(k.baseAddress! + a.lowerBound, k.baseAddress! + b.lowerBound, min(a.count, b.count))
                return n != 0 ? n < 0 : a.count < b.count
            }
        }
        children.ordered = listed.map { ($0.name, $0.type) }
        return children
    }

    /// `parent/name`, or `name` when `parent` is empty; nil when `name` is not valid UTF-8.
    fileprivate static func joined(_ parent: String, _ name: UnsafeBufferPointer<UInt8>) -> String? {
        var parent = parent
        return parent.withUTF8 { head in
            let count = head.count + (head.isEmpty ? 0 : 1) + name.count
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { path in
                var at = path.baseAddress!
                if !head.isEmpty {
                    at.initialize(from: head.baseAddress!, count: head.count)
                    at[head.count] = UInt8(ascii: "/")
                    at += head.count + 1
                }
                if let bytes = name.baseAddress { at.initialize(from: bytes, count: name.count) }
                return String(validUTF8: path)
            }
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

/// Lists a tree's directories on all cores, each into its own listing in manifest order, then
/// joins the listings depth-first. Reading directories is most of a no-op commit's listing of
/// 55,000 files, and one directory's listing does not wait for another's.
private final class Lister: @unchecked Sendable {
    /// A directory's children in manifest order: files (and links and special files) as
    /// entries, subdirectories by the number of their own listing.
    private enum Child {
        case entry(TreeScanner.Entry)
        case directory(Int)
    }

    private let skipping: Set<FileIdentity>
    private let condition = NSCondition()
    // Guarded by `condition`:
    /// Directories to list: path, path relative to the root, and listing number.
    private var pending: [(path: String, relative: String, number: Int)]
    /// By number; nil until listed.
    private var listings: [[Child]?] = [nil]
    /// Workers listing a directory now: while any is, more directories may come.
    private var busy = 0
    private var failure: Error?

    init(root: String, skipping: Set<FileIdentity>) {
        self.skipping = skipping
        pending = [(root, "", 0)]
    }

    /// Every entry of the tree, in manifest order.
    func entries() throws -> [TreeScanner.Entry] {
        DispatchQueue.concurrentPerform(iterations: Environment.cores) { _ in work() }
        if let failure { throw failure }
        var entries = [TreeScanner.Entry]()
        func join(_ number: Int) {
            for child in listings[number]! {
                switch child {
                case .entry(let e): entries.append(e)
                case .directory(let n): join(n)
                }
            }
        }
        join(0)
        return entries
    }

    private func work() {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil {
            guard let job = pending.popLast() else {
                if busy == 0 { break }
                condition.wait()
                continue
            }
            busy += 1
            condition.unlock()
            let listed = Result { try list(job.path, relative: job.relative) }
            condition.lock()
            busy -= 1
            condition.broadcast()
            switch listed {
            case .failure(let error):
                if failure == nil { failure = error }
            case .success(let children):
                var numbered = [Child]()
                numbered.reserveCapacity(children.count)
                for child in children {
                    switch child {
                    case .file(let e): numbered.append(.entry(e))
                    case .directory(let path, let relative):
                        pending.append((path, relative, listings.count))
                        numbered.append(.directory(listings.count))
                        listings.append(nil)
                    }
                }
                listings[job.number] = numbered
            }
        }
    }

    /// What listing a directory finds: entries, and subdirectories yet to be numbered.
    private enum Listed {
        case file(TreeScanner.Entry)
        case directory(path: String, relative: String)
    }

    private func list(_ dir: String, relative: String) throws -> [Listed] {
        let children = try TreeScanner.children(of: dir)
        return try children.keys.withUnsafeBufferPointer { keys in
            try children.ordered.compactMap { range, type in
                let name = UnsafeBufferPointer(rebasing: keys[range])
                guard let rel = TreeScanner.joined(relative, name) else {
                    throw StoreError.invalidPathName(dir + "/" + String(decoding: name, as: UTF8.self))
                }
                guard type == UInt8(DT_DIR) else { return .file(TreeScanner.Entry(path: rel, isRegular: type == UInt8(DT_REG))) }
                let full = TreeScanner.joined(dir, name)!
                if !skipping.isEmpty, let id = FileIdentity(path: full), skipping.contains(id) { return nil }
                return .directory(path: full, relative: rel)
            }
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
