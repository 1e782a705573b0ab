import CLakeSys
import Foundation
import LakeCore

/// Where an object's bytes are.
public enum ObjectLocation: Sendable, Equatable {
    /// A read-only file `objects/ab/cdef…`.
    case loose(path: String)
    /// A range of a pack file.
    case packed(path: String, offset: UInt64, length: UInt64)
    /// The concatenation of other objects, listed in `objects/ab/cdef….segments`: a ledger's
    /// version stored as its previous version plus what was appended (Segments.swift).
    case segments(path: String, parts: [Segment])
}

/// The content-addressed object store of one lake: loose objects and packs (docs/format.md).
///
/// Objects of at least `looseThreshold` bytes are stored loose so that a checkout can link or
/// reflink them; smaller ones are appended to pack files, because creating one file per tiny
/// object costs far more than hashing it.
public final class ObjectStore: @unchecked Sendable {
    /// 1 MiB: creating and syncing a file costs about what hashing 100–150 KB does here, so at
    /// 1 MiB a loose file adds under 10% to the hashing cost, while most pipeline files (JSONL
    /// shards, CSV runs, logs) stay below it and share a few pack files.
    public static let looseThreshold = 1 << 20

    /// The lake directory (`.lake/`).
    public let root: String
    public var objectsDirectory: String { root + "/objects" }
    public var packsDirectory: String { root + "/packs" }
    public var tmpDirectory: String { root + "/tmp" }

    /// Where objects this lake lacks come from: a remote, for a lake cloned with
    /// `--metadata-only`. Readers ask it for an object that is not stored; writers never do.
    public var source: (any ObjectSource)?

    private let lock = NSLock()
    private var packIndex: [ObjectID: PackSlot]?
    private var packPaths: [String] = []
    /// By path, and kept open: a pack's name is the hash of its index, so a path always means
    /// the same bytes, and a pack removed after it was opened is still read through it.
    private var packDescriptors: [String: Int32] = [:]
    private var damaged: [String: StoreError] = [:]
    /// Files put in place since the last `syncWritten()`, which makes them durable.
    private var unsynced = Set<String>()
    /// `tmp/unsynced-<pid>-<random>`, there while this store has put files in place that are
    /// not yet durable (`put(_:at:)`, `syncWritten()`).
    private var marker: String?

    struct PackSlot {
        var pack: Int
        var offset: UInt64
        var length: UInt64
    }

    public init(root: String) {
        self.root = root
    }

    deinit {
        for fd in packDescriptors.values { close(fd) }
    }

    /// Creates the store's directories.
    public static func create(at root: String) throws {
        for dir in ["objects", "packs", "tmp"] {
            try FileIO.makeDirectories(root + "/" + dir)
        }
    }

    /// Makes the store's directories where a copy of the lake lost them (git and some backup
    /// tools keep no empty directories), and removes temp files of processes that are gone
    /// (their names carry the pid: `pack-<pid>-<random>.tmp`). Their unsynced markers stay
    /// for `syncWritten()`.
    public func prepareForWriting() throws {
        try Self.create(at: root)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDirectory)) ?? []
        where !name.hasPrefix(Self.markerPrefix) && Self.isFromDeadProcess(name) {
            unlink(tmpDirectory + "/" + name)
        }
    }

    /// Whether a `tmp/` name (`<what>-<pid>-<random>`) was made by a process that is gone.
    private static func isFromDeadProcess(_ name: String) -> Bool {
        let parts = name.split(separator: "-")
        guard parts.count >= 3, let pid = pid_t(parts[1]) else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    public func loosePath(_ id: ObjectID) -> String {
        let hex = id.hex
        return "\(objectsDirectory)/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    // MARK: Looking up

    /// Reads every pack's index once per process; packs written later by this process are added
    /// as they are finished.
    private func loadedIndex() throws -> [ObjectID: PackSlot] {
        if let packIndex { return packIndex }
        // A pack removed between the listing and its read (a merge or gc in another process
        // moved its objects to a pack renamed in before): list again.
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try readIndexes()
            } catch let error as SystemError where error.code == ENOENT && attempt < 5 {
                continue
            }
        }
    }

    /// Lists `packs/` and reads every index: the whole state of the pack lookups, which is empty
    /// until then (`reloadPackIndexes` empties it all).
    private func readIndexes() throws -> [ObjectID: PackSlot] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: packsDirectory)) ?? [])
            .filter { $0.hasSuffix(".pack") }.sorted()
        var (paths, broken) = ([String](), [String: StoreError]())
        var packs = [(number: Int, entries: [PackFormat.Entry])]()
        for name in names {
            let path = packsDirectory + "/" + name
            // A damaged pack must not make the rest of the store unreadable: fsck reports it.
            do { packs.append((paths.count, try PackFormat.readIndex(path: path))) } catch let e as StoreError {
                broken[path] = e
                continue
            }
            paths.append(path)
        }
        // Sized once: growing it entry by entry rehashed every ID several times over.
        var index = [ObjectID: PackSlot](minimumCapacity: packs.reduce(0) { $0 + $1.entries.count })
        for (number, entries) in packs {
            for e in entries { index[e.id] = PackSlot(pack: number, offset: e.offset, length: e.length) }
        }
        (packPaths, damaged, packIndex) = (paths, broken, index)
        return index
    }

    /// Reads the pack indexes now rather than at the first lookup (a commit does it while it
    /// lists the tree). A damaged pack is left for fsck, as at any lookup.
    public func loadPackIndexes() {
        lock.lock(); defer { lock.unlock() }
        _ = try? loadedIndex()
    }

    func registerPack(path: String, entries: [PackFormat.Entry]) throws {
        lock.lock(); defer { lock.unlock() }
        var index = try loadedIndex()
        let number = packPaths.count
        packPaths.append(path)
        for e in entries { index[e.id] = PackSlot(pack: number, offset: e.offset, length: e.length) }
        packIndex = index
    }

    /// Where `id` is stored, or nil when it is not.
    public func location(of id: ObjectID) throws -> ObjectLocation? {
        lock.lock()
        let slot = try loadedIndex()[id]
        let packPath = slot.map { packPaths[$0.pack] }
        lock.unlock()
        if let slot, let packPath { return .packed(path: packPath, offset: slot.offset, length: slot.length) }
        let path = loosePath(id)
        if FileIO.lstat(path) != nil { return .loose(path: path) }
        return try segments(of: id).map { .segments(path: segmentsPath(id), parts: $0) }
    }

    /// Whether `id` is stored whole (`size(of:)`).
    public func contains(_ id: ObjectID) throws -> Bool { try size(of: id) != nil }

    /// The object's size, or nil when it is not stored. An object stored as segments is stored
    /// when each of its parts is.
    public func size(of id: ObjectID) throws -> UInt64? {
        switch try location(of: id) {
        case .none: return nil
        case .packed(_, _, let length): return length
        case .loose(let path): return FileIO.lstat(path).map { UInt64($0.st_size) }
        case .segments(_, let parts):
            for part in parts where try size(of: part.id) != part.size { return nil }
            return parts.reduce(0) { $0 + $1.size }
        }
    }

    /// Where `id` is stored for reading it: an object that is not stored is first fetched from
    /// `source`, when there is one. One not in the packs this process read may be in a pack
    /// another process wrote since (the version a concurrent commit recorded): `packs/` is
    /// checked for new packs first.
    public func locate(_ id: ObjectID) throws -> ObjectLocation {
        if let location = try location(of: id) { return location }
        refreshPackIndexes()
        if let location = try location(of: id) { return location }
        try fetch([id])
        guard let location = try location(of: id) else { throw StoreError.missingObject(id) }
        return location
    }

    /// Fetches from `source` those of `ids` that are not stored (a checkout asks for all its
    /// files at once, so they travel together).
    public func fetch(_ ids: [ObjectID]) throws {
        guard let source else { return }
        let missing = try ids.filter { try location(of: $0) == nil }
        if !missing.isEmpty { try source.fetch(missing, into: self) }
    }

    /// Whether `id` is stored with `size` bytes. A loose file of another size is a write torn by
    /// a power loss before its commit's sync: it does not count, so the next commit rewrites it.
    public func contains(_ id: ObjectID, size: UInt64) throws -> Bool {
        if size < UInt64(Self.looseThreshold) {
            // Small objects are only ever packed: no need to ask the filesystem.
            lock.lock(); defer { lock.unlock() }
            return try loadedIndex()[id]?.length == size
        }
        return try self.size(of: id) == size
    }

    /// Every object in packs, with its location; for fsck and gc.
    public func packedObjects() throws -> [(id: ObjectID, location: ObjectLocation)] {
        lock.lock(); defer { lock.unlock() }
        return try loadedIndex().map { ($0.key, .packed(path: packPaths[$0.value.pack], offset: $0.value.offset, length: $0.value.length)) }
    }

    /// Every loose object file, by the name it claims.
    public func looseObjects() throws -> [(id: ObjectID?, path: String)] {
        var out = [(ObjectID?, String)]()
        let fm = FileManager.default
        for fan in ((try? fm.contentsOfDirectory(atPath: objectsDirectory)) ?? []).sorted() {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: objectsDirectory + "/" + fan, isDirectory: &isDirectory), isDirectory.boolValue else {
                out.append((nil, objectsDirectory + "/" + fan))
                continue
            }
            for rest in ((try? fm.contentsOfDirectory(atPath: objectsDirectory + "/" + fan)) ?? []).sorted()
            where !rest.hasSuffix(Self.segmentsSuffix) {
                out.append((try? ObjectID(parsing: fan + rest), objectsDirectory + "/" + fan + "/" + rest))
            }
        }
        return out
    }

    /// Packs whose index could not be read, with the reason.
    public var damagedPacks: [String: StoreError] {
        get throws {
            lock.lock(); defer { lock.unlock() }
            _ = try loadedIndex()
            return damaged
        }
    }

    public var packFiles: [String] {
        get throws {
            lock.lock(); defer { lock.unlock() }
            _ = try loadedIndex()
            return packPaths
        }
    }

    private func descriptor(forPack path: String) throws -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if let fd = packDescriptors[path] { return fd }
        let fd = try FileIO.open(path, O_RDONLY)
        packDescriptors[path] = fd
        return fd
    }

    /// Forgets the pack indexes read so far; the next lookup reads `packs/` again.
    public func reloadPackIndexes() {
        lock.lock(); defer { lock.unlock() }
        (packIndex, packPaths, damaged) = (nil, [], [:])
    }

    /// Reads the pack indexes again at the next lookup when `packs/` no longer holds the packs
    /// they were read from: a gc or merge in another process rewrote some while this process
    /// held no gc lock (a run between its stages, an import between its entries). A command
    /// calls it when it takes the gc lock: the old index would name packs that are gone, and a
    /// commit would then take an object dropped since for stored and not write it.
    public func refreshPackIndexes() {
        lock.lock(); defer { lock.unlock() }
        guard packIndex != nil else { return }
        let names = Set(((try? FileManager.default.contentsOfDirectory(atPath: packsDirectory)) ?? []).filter { $0.hasSuffix(".pack") })
        let known = Set((packPaths + damaged.keys).map { String($0.dropFirst(packsDirectory.count + 1)) })
        if names != known { (packIndex, packPaths, damaged) = (nil, [], [:]) }
    }

    /// Closes the descriptors of packs this process removed (`rewrite`), which no read in
    /// flight can be using: they would keep the space of the removed files until exit, and
    /// rewriting thousands of packs would run out of descriptors.
    func forgetDescriptors(of packs: Set<String>) {
        lock.lock(); defer { lock.unlock() }
        for pack in packs { if let fd = packDescriptors.removeValue(forKey: pack) { close(fd) } }
    }

    // MARK: Reading

    /// Streams the object's bytes to `body` in chunks, then checks that they hash to `id`.
    /// A mismatch throws `StoreError.corruptObject` after the last chunk: callers that must not
    /// expose bad bytes (checkout) write to a staging place first.
    public func read(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var hasher = SHA256Hasher()
        let location = try stream(id, checkingParts: true) { slice in
            hasher.update(slice)
            try body(slice)
        }
        let actual = hasher.finalize()
        guard actual == id else { throw StoreError.corruptObject(id, actual: actual, location: location.describe) }
    }

    /// Like `read(_:_:)`, but a loose object with a seal (Seal.swift) is checked against the seal,
    /// at memory speed, instead of against its name. A mismatch cannot tell a damaged object
    /// from a damaged seal, so then `restart` undoes what `body` did and the object is read
    /// again, checked by name, which decides. Other objects are checked by name at once.
    public func readSealed(_ id: ObjectID, restart: () throws -> Void, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let location = try locate(id)
        guard case .loose(let path) = location, let seal = Seal.attached(to: path) else { return try read(id, body) }
        var sealer = Seal.Hasher()
        try stream(location, checkingParts: false) { chunk in
            sealer.update(chunk)
            try body(chunk)
        }
        guard sealer.finalize() != seal else { return }
        try restart()
        try read(id, body)
    }

    /// Throws unless the stored object is good: checked against its seal when it has one that
    /// agrees, else against its name (`readSealed` with nothing to hand the bytes to).
    public func check(_ id: ObjectID) throws {
        try readSealed(id, restart: {}) { _ in }
    }

    /// Like `read(_:_:)`, but the object is checked before the first byte reaches `body`, for
    /// callers that write straight to a user (`lake cat`): packed objects are buffered, loose
    /// ones are read twice (the second time from the page cache), first checked as `check`
    /// does, then hashed again as they are handed on.
    public func readVerifiedFirst(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if case .packed = try locate(id) {
            // Under 1 MiB: buffering costs less than reading twice.
            let bytes = try self.bytes(of: id)
            return try bytes.withUnsafeBytes(body)
        }
        try check(id)
        try read(id, body)
    }

    /// The object's bytes, verified.
    public func bytes(of id: ObjectID) throws -> [UInt8] {
        var out = [UInt8]()
        try read(id) { out.append(contentsOf: $0) }
        return out
    }

    /// Streams the bytes at `location` and returns their hash.
    public func read(at location: ObjectLocation, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectID {
        var hasher = SHA256Hasher()
        try stream(location, checkingParts: true) { slice in
            hasher.update(slice)
            try body(slice)
        }
        return hasher.finalize()
    }

    /// Streams an object's bytes without hashing them: only for a caller that checks them by
    /// other means before they count (an archive is re-read and verified against its manifest,
    /// so hashing as it is written would hash every byte twice).
    public func readUnverified(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = try stream(id, checkingParts: false, body)
    }

    /// Streams object `id` from where it is stored and returns where that was. A pack removed
    /// since this process read the indexes (by gc, or by a commit that merged small packs: its
    /// objects are in a new pack) is noticed when it is opened, before any byte is read; then
    /// the indexes are read again and the object looked up once more.
    private func stream(_ id: ObjectID, checkingParts: Bool, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectLocation {
        let location = try locate(id)
        var started = false
        do {
            try stream(location, checkingParts: checkingParts) { chunk in
                started = true
                try body(chunk)
            }
            return location
        } catch let error as SystemError where error.code == ENOENT && !started {
            guard case .packed = location else { throw error }
            reloadPackIndexes()
            let moved = try locate(id)
            try stream(moved, checkingParts: checkingParts, body)
            return moved
        }
    }

    private func stream(_ location: ObjectLocation, checkingParts: Bool, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        switch location {
        case .loose(let path):
            let fd = try FileIO.open(path, O_RDONLY)
            defer { close(fd) }
            while true {
                let n = try FileIO.read(fd, buffer, chunk, path: path)
                if n == 0 { break }
                try body(UnsafeRawBufferPointer(start: buffer, count: n))
            }
        case .packed(let path, let offset, let length):
            let fd = try descriptor(forPack: path)
            var done: UInt64 = 0
            while done < length {
                let want = Int(min(UInt64(chunk), length - done))
                let n = try FileIO.pread(fd, buffer, want, at: offset + done, path: path)
                guard n == want else { throw StoreError.corruptPack(path: path, problem: "truncated at offset \(offset + done)") }
                try body(UnsafeRawBufferPointer(start: buffer, count: n))
                done += UInt64(n)
            }
        case .segments(_, let parts):
            for part in parts {
                // Parts are plain objects, each read by its ID (so a part's pack that a merge
                // removed is looked up again); each is checked, and so is the whole.
                guard let at = try self.location(of: part.id), !at.isSegments else { throw StoreError.missingObject(part.id) }
                if checkingParts { try read(part.id, body) } else { _ = try stream(part.id, checkingParts: false, body) }
            }
        }
    }

    // MARK: Durability

    /// Makes everything written to the lake's filesystem durable, this store's files and any
    /// other (an archive): one `syncfs`.
    public func sync() throws {
        let fd = try FileIO.open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        guard lake_syncfs(fd) == 0 else { throw SystemError("sync", path: root) }
        synced()
    }

    /// Forgets the files put in place, durable now, and removes this process's marker.
    private func synced() {
        lock.lock()
        let mine = marker
        (unsynced, marker) = ([], nil)
        lock.unlock()
        if let mine { unlink(mine) }
    }

    static let markerPrefix = "unsynced-"

    /// Renames a finished temp file to its place in the store (a loose object, a pack, a
    /// segment list), for `syncWritten()` to make durable. The first one leaves this process's
    /// unsynced marker in `tmp/` before it lands.
    func put(_ tmp: String, at final: String) throws {
        try markUnsynced()
        try FileIO.rename(tmp, final)
        lock.lock(); defer { lock.unlock() }
        unsynced.insert(final)
    }

    private func markUnsynced() throws {
        lock.lock(); defer { lock.unlock() }
        guard marker == nil else { return }
        let path = tmpDirectory + "/" + FileIO.uniqueName(String(Self.markerPrefix.dropLast()))
        close(try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL))
        marker = path
    }

    /// Makes durable the files this store put in place since the last call, and the
    /// directories that name them: each file's data (`fdatasync`, several at once, so the
    /// filesystem can join their journal commits), then each directory. A commit, a run and a
    /// restore call this instead of `sync()`, since `syncfs` would also wait for every other
    /// dirty file of the filesystem: the outputs a pipeline has just written, say (after a
    /// 2 GB `tar -cf`, a commit of the large benchmark files waited 1.5 s for tar's bytes).
    ///
    /// What this process found in the store and reused must be durable too before a catalog
    /// names it. Files another writer put in place carry its marker until that writer has
    /// synced them: while any other marker is in `tmp/` (a writer at work, or one killed before
    /// its sync), this is one `syncfs` instead, which also clears the markers of the dead.
    /// Call it with no write under way in this process.
    public func syncWritten() throws {
        lock.lock()
        let (files, mine) = (Array(unsynced), marker)
        lock.unlock()
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: tmpDirectory)) ?? [])
            .filter { $0.hasPrefix(Self.markerPrefix) }.map { tmpDirectory + "/" + $0 }.filter { $0 != mine }
        guard others.isEmpty else {
            try sync()
            for path in others where Self.isFromDeadProcess(FileIO.baseName(path)) { unlink(path) }
            return
        }
        var directories = Set(files.map(FileIO.parent))
        // A fan-out directory `objects/ab` may be new: its own name must last too.
        if directories.contains(where: { $0.hasPrefix(objectsDirectory + "/") }) { directories.insert(objectsDirectory) }
        try Self.syncAll(files, data: true)
        try Self.syncAll(directories.sorted(), data: false)
        synced()
    }

    private static func syncAll(_ paths: [String], data: Bool) throws {
        try Parallel.forEach(paths, width: 4) { try FileIO.sync($0, directory: !data) }
    }

}

/// Brings objects a lake lacks into its store, verified (LakeRemote's remotes).
public protocol ObjectSource: AnyObject, Sendable {
    /// Stores each of `ids` in `store`, or throws; the store syncs nothing itself.
    func fetch(_ ids: [ObjectID], into store: ObjectStore) throws

    /// Those of `ids` the source can bring (for `lake fsck`, which then does not count them
    /// as lost).
    func holds(_ ids: [ObjectID]) throws -> Set<ObjectID>
}

extension ObjectLocation {
    var describe: String {
        switch self {
        case .loose(let path): return path
        case .packed(let path, let offset, _): return "\(path) at offset \(offset)"
        case .segments(let path, _): return path
        }
    }

    var isSegments: Bool {
        if case .segments = self { return true }
        return false
    }
}
