import CLakeSys
import Foundation
import LakeCore

/// The result of snapshotting a tree: its manifest, the profiles of its tabular files, what the
/// stat cache should now hold, and what the work cost.
public struct Ingest: Sendable {
    public var manifest: Manifest
    /// Profiles by path, for `.csv`, `.tsv`, `.jsonl` and `.ndjson` files (and their `.gz`
    /// and `.zst` forms).
    public var tables: [String: TableProfile]
    /// Entries for the stat cache, by path: only files whose timestamps are safely in the past.
    /// Filled only when `cacheChanged`: an unchanged tree leaves the stat cache as it is.
    public var cache: [String: CachedFile]
    public var filesRead = 0
    public var filesFromCache = 0
    public var bytesRead: UInt64 = 0
    public var objectsWritten = 0
    /// Whether `cache` differs from the stat cache the snapshot started from. Found without
    /// comparing them entry by entry: an entry differs only where a file was read, and a file
    /// gone from the tree leaves the cache smaller.
    public var cacheChanged = false
}

/// Turns a directory (or one file) into objects and a manifest, in one read pass per file,
/// on all cores.
public final class Snapshotter {
    private let store: ObjectStore
    /// A file whose mtime or ctime is within this many nanoseconds of the scan's start may be
    /// changed again without its timestamps moving, so it is not trusted from the cache next
    /// time ("racy" in git's words). 2 s where the filesystem keeps whole seconds (FAT keeps
    /// 2 s; both timestamps without nanoseconds); 100 ms where it keeps nanoseconds, since its
    /// clock ticks every few milliseconds. A pipeline's outputs are re-committed seconds after
    /// they are written: they should not all be read again.
    public static func racyWindowNs(_ st: stat) -> Int64 {
        st.st_mtim.tv_nsec == 0 && st.st_ctim.tv_nsec == 0 ? 2_000_000_000 : 100_000_000
    }

    public init(store: ObjectStore) {
        self.store = store
    }

    /// Snapshots `path`. Files whose stat matches an entry of `statCache` are not read;
    /// directories in `skipping` (the lake itself) are left out. The batch is not synced: the
    /// caller syncs once, after the manifest is stored, before cataloguing.
    ///
    /// `progress` is called from worker threads with (files done, files in all).
    public func snapshot(path: String, statCache: StatCache?, skipping: Set<FileIdentity> = [], batch: ObjectBatch,
                         progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> Ingest {
        let scanStartNs = Self.nowNs()
        // The stat cache and the pack indexes (which say whether a cached file's object is
        // stored) are read while the tree is listed: two jobs, two cores.
        final class Loaded: @unchecked Sendable { var cache = StatCache.Entries() }
        let loaded = Loaded(), loading = DispatchGroup()
        DispatchQueue.global().async(group: loading) { [store] in
            if let statCache { loaded.cache = statCache.load() }
            store.loadPackIndexes()
        }
        let scanned = Result { try TreeScanner.scan(path, skipping: skipping) }
        loading.wait()
        let root = try scanned.get(), cache = loaded.cache
        // Files are opened and stat'ed relative to the base: the kernel walks only the part of
        // each path below it. (O_PATH: a single file's directory may not be readable.)
        let baseFd = lake_open_directory_path(root.base)
        guard baseFd >= 0 else { throw SystemError("open", path: root.base) }
        defer { close(baseFd) }
        let workers = Environment.cores
        let order = Self.largestFirst(root, baseFd: baseFd, cache: cache)
        // Ranges small enough that every worker gets a share of a tree of a few large files,
        // large enough that tens of thousands of small ones do not contend on the lock. Taken
        // largest first, entries go one at a time: a range must be a run of the scan.
        let chunk = order == nil ? max(1, min(64, root.entries.count / (workers * 16))) : 1
        let shared = SharedWork(count: root.entries.count, chunk: chunk)
        var perWorker = [WorkerResult](repeating: WorkerResult(), count: workers)
        perWorker.withUnsafeMutableBufferPointer { results in
            let results = results
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                do {
                    let worker = try Worker(store: store, batch: batch, base: root.base, baseFd: baseFd, cache: cache, scanStartNs: scanStartNs)
                    while let taken = shared.next() {
                        let start = worker.result.entries.count
                        let range = order.map { $0[taken.lowerBound] ..< $0[taken.lowerBound] + 1 } ?? taken
                        for i in range { try worker.ingest(root.entries[i], at: i) }
                        worker.result.pieces.append((range.lowerBound, start ..< worker.result.entries.count))
                        progress?(taken.upperBound, root.entries.count)
                    }
                    try worker.finish()
                    results[w] = worker.result
                } catch {
                    shared.fail(error)
                }
            }
        }
        if let error = shared.error { throw error }
        // Workers took ranges of the scan in turn; put their entries back in scan order, which
        // is manifest order.
        var entries = [ManifestEntry]()
        entries.reserveCapacity(root.entries.count)
        let pieces = perWorker.indices.flatMap { w in perWorker[w].pieces.map { (w, $0.scanStart, $0.entries) } }.sorted { $0.1 < $1.1 }
        for (w, _, range) in pieces { entries.append(contentsOf: perWorker[w].entries[range]) }
        var ingest = Ingest(manifest: try Manifest(entries: entries), tables: [:], cache: [:])
        for r in perWorker {
            ingest.tables.merge(r.tables) { a, _ in a }
            ingest.filesRead += r.filesRead
            ingest.filesFromCache += r.hits.count
            ingest.bytesRead += r.bytesRead
            ingest.objectsWritten += r.objectsWritten
        }
        // Every cached entry matched a file and none was read: the cache stays as it is.
        ingest.cacheChanged = ingest.filesRead > 0 || ingest.filesFromCache != cache.count
        if ingest.cacheChanged {
            ingest.cache.reserveCapacity(ingest.filesFromCache + perWorker.reduce(0) { $0 + $1.read.count })
            for r in perWorker {
                for (i, entry) in r.hits { ingest.cache[root.entries[i].path] = entry }
                ingest.cache.merge(r.read) { a, _ in a }
            }
        }
        return ingest
    }

    /// Trees of at most this many entries are snapshotted largest file first.
    static let largestFirstLimit = 256

    /// The order to take a small tree's entries in: largest first, by the size the stat cache
    /// gives or a stat; nil (scan order) for a larger tree. SHA-256 of one file runs on one
    /// core, so a commit of a few big files ends when the last big file is hashed: taken in
    /// name order, 2 GB of binaries left one core idle for a tenth of the commit. Largest
    /// first, the files left at the end are the small ones (LPT scheduling). A stat costs a
    /// microsecond, so trees of many (mostly small) files keep scan order, which packs follow.
    static func largestFirst(_ root: TreeScanner.Tree, baseFd: Int32, cache: StatCache.Entries) -> [Int]? {
        guard root.entries.count > 1, root.entries.count <= largestFirstLimit else { return nil }
        let sizes = root.entries.map { entry -> UInt64 in
            if let size = cache.size(of: entry.path) { return size }
            var st = stat()
            guard entry.isRegular, entry.path.withCString({ fstatat(baseFd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { return 0 }
            return UInt64(st.st_size)
        }
        return sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
    }

    static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// Hands out ranges of entry indexes to workers and keeps the first error.
private final class SharedWork: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    private let chunk: Int
    private(set) var error: Error?

    init(count: Int, chunk: Int) { (self.count, self.chunk) = (count, chunk) }

    func next() -> Range<Int>? {
        lock.lock(); defer { lock.unlock() }
        guard error == nil, nextIndex < count else { return nil }
        let end = min(count, nextIndex + chunk)
        defer { nextIndex = end }
        return nextIndex ..< end
    }

    func fail(_ e: Error) {
        lock.lock(); defer { lock.unlock() }
        if error == nil { error = e }
    }
}

private struct WorkerResult {
    var entries: [ManifestEntry] = []
    /// Where each range of the scan this worker took begins, and its entries in `entries`.
    var pieces: [(scanStart: Int, entries: Range<Int>)] = []
    var tables: [String: TableProfile] = [:]
    /// Stat cache entries of the files read (those safely in the past).
    var read: [String: CachedFile] = [:]
    /// Scan indexes of the files the stat cache served, with their entries, which carry over
    /// (kept, not looked up again: a lookup decodes the entry from the file).
    var hits: [(index: Int, entry: CachedFile)] = []
    var filesRead = 0
    var bytesRead: UInt64 = 0
    var objectsWritten = 0
}

private final class Worker {
    let store: ObjectStore
    let batch: ObjectBatch
    let base: String
    /// `base`, open: every file is reached by its path relative to it.
    let baseFd: Int32
    let cache: StatCache.Entries
    let scanStartNs: Int64
    var result = WorkerResult()
    let pack: PackWriter
    let buffer: UnsafeMutableRawPointer
    let bufferSize = ObjectStore.looseThreshold

    init(store: ObjectStore, batch: ObjectBatch, base: String, baseFd: Int32, cache: StatCache.Entries, scanStartNs: Int64) throws {
        (self.store, self.batch, self.base, self.baseFd, self.cache, self.scanStartNs) = (store, batch, base, baseFd, cache, scanStartNs)
        pack = batch.packWriter()
        buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func finish() throws { try pack.finish() }

    /// Ingests the scan's entry number `index`.
    func ingest(_ entry: TreeScanner.Entry, at index: Int) throws {
        let path = entry.path
        let hit = cache[path]
        if entry.isRegular, hit == nil {
            // Nothing cached, so nothing to compare a stat with: open straight away and stat
            // the open file. O_NONBLOCK: should it have become a fifo since readdir, the open
            // must not wait for a writer.
            let fd = openat(baseFd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {
                var st = stat()
                if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG {
                    defer { close(fd) }
                    return try ingestFile(path, opened: fd, st)
                }
                close(fd)
            }
        }
        var st = stat()
        // withCString: passing the String itself made a C copy of it on the heap, per file.
        guard path.withCString({ fstatat(baseFd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { throw SystemError("stat", path: full(path)) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: try ingestFile(path, st, hit: hit, at: index)
        case S_IFLNK: try ingestLink(path, size: Int(st.st_size))
        default: throw StoreError.unsupportedFile(path: full(path), type: TreeScanner.describe(mode: st.st_mode))
        }
    }

    /// The path callers know, for messages.
    private func full(_ path: String) -> String { base + "/" + path }

    /// Ingests a regular file whose lstat is `lst`, from `hit` (its stat cache entry) when that
    /// still matches and its object is stored.
    private func ingestFile(_ path: String, _ lst: stat, hit: CachedFile?, at index: Int) throws {
        let mode = lst.st_mode & S_IXUSR != 0 ? ManifestEntry.executable : ManifestEntry.regular
        if let hit, hit == cached(lst, object: hit.object, table: hit.table), try batch.has(hit.object, size: hit.size) {
            result.entries.append(ManifestEntry(path: path, mode: mode, size: hit.size, object: hit.object))
            if let table = hit.table { result.tables[path] = table }
            result.hits.append((index, hit))
            return
        }
        let fd = openat(baseFd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: full(path)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError("stat", path: full(path)) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw StoreError.unsupportedFile(path: full(path), type: TreeScanner.describe(mode: st.st_mode))
        }
        try ingestFile(path, opened: fd, st)
    }

    /// Reads an open regular file whose fstat is `st`.
    private func ingestFile(_ path: String, opened fd: Int32, _ st: stat) throws {
        let full = full(path)
        let mode = st.st_mode & S_IXUSR != 0 ? ManifestEntry.executable : ManifestEntry.regular
        let profiler = TableProfiler(fileName: path)
        let id: ObjectID
        let size: UInt64
        if Int(st.st_size) < bufferSize {
            // Small: read it whole in one call where the kernel allows; a file that grew since
            // its fstat shows in the size check after the read.
            let n = try FileIO.read(fd, buffer, bufferSize, path: full, expecting: Int(st.st_size))
            guard n == Int(st.st_size) else { throw StoreError.sourceChanged(full) }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: n)
            id = SHA256Hasher.hash(bytes)
            profiler?.update(bytes)
            if batch.claim(id, size: n) {
                try pack.append(id, bytes)
                result.objectsWritten += 1
            }
            size = UInt64(n)
        } else {
            let stored = try batch.storeLoose(from: fd, path: full, buffer: buffer, bufferSize: bufferSize) { profiler?.update($0) }
            guard stored.size == UInt64(st.st_size) else { throw StoreError.sourceChanged(full) }
            if stored.written { result.objectsWritten += 1 }
            (id, size) = (stored.id, stored.size)
        }
        var after = stat()
        guard fstat(fd, &after) == 0 else { throw SystemError("stat", path: full) }
        guard after.st_mtim.tv_sec == st.st_mtim.tv_sec, after.st_mtim.tv_nsec == st.st_mtim.tv_nsec, after.st_size == st.st_size else {
            throw StoreError.sourceChanged(full)
        }
        result.filesRead += 1
        result.bytesRead += size
        result.entries.append(ManifestEntry(path: path, mode: mode, size: size, object: id))
        let table = profiler?.finish()
        if let table { result.tables[path] = table }
        let entry = cached(st, object: id, table: table)
        if max(entry.mtimeNs, entry.ctimeNs) < scanStartNs - Snapshotter.racyWindowNs(st) {
            result.read[path] = entry
        }
    }

    private func cached(_ st: stat, object: ObjectID, table: TableProfile?) -> CachedFile {
        CachedFile(size: UInt64(st.st_size),
                   mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                   ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                   inode: UInt64(st.st_ino), device: UInt64(st.st_dev), object: object, table: table)
    }

    private func ingestLink(_ path: String, size: Int) throws {
        let full = full(path)
        var target = [UInt8](repeating: 0, count: max(size, 1) + 1)
        let n = readlinkat(baseFd, path, &target, target.count)
        guard n >= 0 else { throw SystemError("read link", path: full) }
        guard n <= size else { throw StoreError.sourceChanged(full) }
        target.removeLast(target.count - n)
        guard let text = String(validUTF8: target) else { throw StoreError.invalidPathName(full) }
        guard TreeScanner.staysInside(link: path, target: text) else {
            throw StoreError.escapingSymlink(path: full, target: text)
        }
        let id = SHA256Hasher.hash(target)
        if batch.claim(id, size: target.count) {
            try target.withUnsafeBytes { try pack.append(id, $0) }
            result.objectsWritten += 1
        }
        result.entries.append(ManifestEntry(path: path, mode: ManifestEntry.symlink, size: UInt64(n), object: id))
    }
}
