import CLakeSys
import Foundation
import LakeCore

/// The objects one commit writes. Several threads add to it at once; each object is written
/// once even when many files hold it. Nothing is durable until `ObjectStore.syncWritten()`
/// (or `sync()`).
public final class ObjectBatch: @unchecked Sendable {
    public let store: ObjectStore
    private let lock = NSLock()
    private var claimed = Set<ObjectID>()
    /// Where `store(_:)` puts small objects: one pack per batch, not one per object.
    private var shared: PackWriter?

    public init(store: ObjectStore) {
        self.store = store
    }

    /// True when the caller must write `id` (of `size` bytes): neither the store nor this batch
    /// has it.
    public func claim(_ id: ObjectID, size: Int) -> Bool {
        if (try? store.contains(id, size: UInt64(size))) == true { return false }
        lock.lock(); defer { lock.unlock() }
        return claimed.insert(id).inserted
    }

    /// Whether the store or this batch holds `id` with `size` bytes.
    public func has(_ id: ObjectID, size: UInt64) throws -> Bool {
        if try store.contains(id, size: size) { return true }
        lock.lock(); defer { lock.unlock() }
        return claimed.contains(id)
    }

    /// Whether this batch wrote `id`: it claimed it, so the store did not hold it before.
    public func wrote(_ id: ObjectID) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return claimed.contains(id)
    }

    public func packWriter() -> PackWriter { PackWriter(store: store) }

    /// How many objects this batch wrote.
    public var claimedCount: Int {
        lock.lock(); defer { lock.unlock() }
        return claimed.count
    }

    /// Completes the batch's own pack (what `store(_:)` wrote): call before the sync. A batch
    /// dropped without it leaves those objects unwritten.
    public func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        try shared?.finish()
        shared = nil
    }

    /// Stores the rest of `fd`, from its offset, as a loose object: hashed while it is written
    /// to `tmp/`, then renamed to its name (or dropped when the object exists already).
    /// `observe` sees every chunk.
    ///
    /// Where the filesystem shares extents (XFS, btrfs) and the whole file is wanted, the temp
    /// file is a clone of `fd` instead, and the clone's bytes are hashed: nothing is copied,
    /// the object takes no space of its own, and what is hashed is what is stored, even if the
    /// source changes meanwhile (the caller's size and mtime checks then refuse it). A clone is
    /// of the whole file, so the rest of a file read from an offset (a grown ledger's tail) is
    /// always copied.
    public func storeLoose(from fd: Int32, path: String, buffer: UnsafeMutableRawPointer, bufferSize: Int,
                           observe: (UnsafeRawBufferPointer) -> Void) throws -> (id: ObjectID, size: UInt64, written: Bool) {
        func stream(_ source: Int32, _ name: String, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            while true {
                let n = try FileIO.read(source, buffer, bufferSize, path: name)
                if n == 0 { break }
                let chunk = UnsafeRawBufferPointer(start: buffer, count: n)
                observe(chunk)
                try sink(chunk)
            }
        }
        return try writeLoose(expecting: nil) { file in
            if lseek(fd, 0, SEEK_CUR) == 0, lake_reflink(fd, file.fd) == 0 {
                let clone = try FileIO.open(file.path, O_RDONLY)
                defer { close(clone) }
                try stream(clone, file.path) { file.hash($0) }
            } else {
                try stream(fd, path) { try file.append($0) }
            }
        }
    }

    /// Stores bytes that arrive in chunks (an archive entry being restored): `produce` hands
    /// every chunk to the sink it gets. Small objects are packed, large ones written loose.
    /// Bytes that do not hash to `expecting` are not stored; their hash is returned.
    public func storeChunks(size: UInt64, expecting: ObjectID, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> ObjectID {
        if size < UInt64(ObjectStore.looseThreshold) {
            var bytes = [UInt8]()
            bytes.reserveCapacity(Int(size))
            try produce { bytes.append(contentsOf: $0) }
            let id = SHA256Hasher.hash(bytes)
            return id == expecting ? try store(bytes, as: id) : id
        }
        return try writeLoose(expecting: expecting) { file in try produce { try file.append($0) } }.id
    }

    /// Has `fill` write a temp file (`LooseFile` hashes what it writes), then renames it to
    /// the object's name: unless the object is stored already, or its hash is not `expecting`.
    private func writeLoose(expecting: ObjectID?, _ fill: (inout LooseFile) throws -> Void) throws
        -> (id: ObjectID, size: UInt64, written: Bool) {
        let tmp = store.tmpDirectory + "/" + FileIO.uniqueName("loose")
        var file = LooseFile(fd: try FileIO.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644), path: tmp)
        do {
            defer { close(file.fd) }
            try fill(&file)
            try seal(file.fd, with: file.sealer.finalize(), path: tmp)
        } catch {
            unlink(tmp)
            throw error
        }
        let (id, size) = (file.hasher.finalize(), file.size)
        guard expecting == nil || id == expecting else {
            unlink(tmp)
            return (id, size, false)
        }
        if claim(id, size: Int(size)) {
            try place(tmp, as: id)
            return (id, size, true)
        }
        if expecting != nil, !wrote(id) {
            // Stored before, by name and size only. A restore or a pull brings bytes checked
            // against the ID they were asked for: they replace the stored file, which heals a
            // copy damaged in place (`restore` relies on it). Synced before the rename, so a
            // power loss cannot leave the stored object emptier than it was. A commit does not
            // replace: that sync would cost every re-read of a large stored file.
            try FileIO.sync(tmp)
            try place(tmp, as: id)
            return (id, size, false)
        }
        unlink(tmp)
        return (id, size, false)
    }

    /// Stores a file's bytes as one object (a run's logs).
    public func storeFile(_ path: String) throws -> ObjectID {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError("stat", path: path) }
        if st.st_size == 0 { return try store([]) }
        if Int(st.st_size) < ObjectStore.looseThreshold {
            var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
            let n = try bytes.withUnsafeMutableBytes { try FileIO.read(fd, $0.baseAddress!, $0.count, path: path) }
            return try store(Array(bytes[0 ..< n]))
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        return try storeLoose(from: fd, path: path, buffer: buffer, bufferSize: 1 << 20) { _ in }.id
    }

    /// Stores bytes held in memory (a manifest, a log) as one object. Small ones go to the
    /// batch's pack, which `finish()` completes.
    @discardableResult
    public func store(_ bytes: [UInt8]) throws -> ObjectID {
        try store(bytes, as: SHA256Hasher.hash(bytes))
    }

    /// Like `store(_:)` for bytes the caller has just hashed to `id` (a restored entry, an
    /// object fetched from a remote): they are not hashed twice.
    @discardableResult
    public func store(_ bytes: [UInt8], as id: ObjectID) throws -> ObjectID {
        guard claim(id, size: bytes.count) else { return id }
        if bytes.count < ObjectStore.looseThreshold {
            lock.lock()
            defer { lock.unlock() }
            if shared == nil { shared = packWriter() }
            try bytes.withUnsafeBytes { try shared!.append(id, $0) }
        } else {
            let tmp = store.tmpDirectory + "/" + FileIO.uniqueName("loose")
            let out = try FileIO.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            defer { close(out) }
            try bytes.withUnsafeBytes {
                try FileIO.writeAll(out, $0, path: tmp)
                try seal(out, with: Seal(of: $0), path: tmp)
            }
            try place(tmp, as: id)
        }
        return id
    }

    /// Attaches the seal of the bytes just hashed to the temp file, then makes it read-only, as
    /// every object file is (attaching needs write permission on the file).
    private func seal(_ fd: Int32, with seal: Seal, path: String) throws {
        seal.attach(to: fd)
        guard fchmod(fd, 0o444) == 0 else { throw SystemError("chmod", path: path) }
    }

    /// Renames a finished temp file to the loose object's name.
    private func place(_ tmp: String, as id: ObjectID) throws {
        let final = store.loosePath(id)
        try FileIO.makeDirectories(FileIO.parent(final))
        try store.put(tmp, at: final)
    }
}

/// A loose object's temp file being written, and the hashes of what is in it so far.
private struct LooseFile: ~Copyable {
    let fd: Int32
    let path: String
    var hasher = SHA256Hasher()
    var sealer = Seal.Hasher()
    var size: UInt64 = 0

    init(fd: Int32, path: String) {
        (self.fd, self.path) = (fd, path)
    }

    /// Hashes `chunk`, which is in the file already (a clone's).
    mutating func hash(_ chunk: UnsafeRawBufferPointer) {
        hasher.update(chunk)
        sealer.update(chunk)
        size += UInt64(chunk.count)
    }

    /// Hashes `chunk` and writes it at the end.
    mutating func append(_ chunk: UnsafeRawBufferPointer) throws {
        try FileIO.writeAll(fd, chunk, path: path)
        // Start the disk write now, while the next chunk is hashed: the commit's one sync then
        // waits for little (git's batch fsync mode does the same).
        lake_start_writeback(fd, Int64(size), Int64(chunk.count))
        hash(chunk)
    }
}
