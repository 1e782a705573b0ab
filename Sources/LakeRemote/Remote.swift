import Foundation
import LakeCatalog
import LakeCore
import LakeStore

/// A shared lake on S3 (docs/remote.md). Objects, packs, archives and journal batches are
/// written once and never changed; refs and `archives/index.jsonl` change by compare-and-swap,
/// and a snapshot's profile may be written again with the same content:
///
/// ```
/// PREFIX/FORMAT                         "lake-remote v1"
/// PREFIX/packs/<hex>.pack               objects under 1 MiB, in the lake-pack v1 format
/// PREFIX/objects/<hex>                  objects of 1 MiB or more, raw
/// PREFIX/snapshots/<hex>.json           a snapshot's table profiles and metrics
/// PREFIX/archives/YYYYMMDD/….tar.zst    retention archives, as in a lake
/// PREFIX/journal/<12 digits>.jsonl      catalog records, in batches numbered from 1
/// PREFIX/archives/index.jsonl           the archives' index lines, as in a lake
/// PREFIX/refs/<ref>                     a ref's last moves (JSON lines), moved by compare-and-swap
/// ```
///
/// A journal batch is created only with `If-None-Match: *` on the number after the last one
/// read, so the batches are one ordered log that several lakes append to without a server.
public final class Remote: @unchecked Sendable {
    public let name: String
    let client: S3Client
    let prefix: String
    /// `.lake/remotes/NAME`: journal batches and pack indexes read before (both immutable).
    let cache: String

    static let format = "lake-remote v1"
    /// Objects of this size or more go up in parts.
    static let multipartThreshold: UInt64 = 256 << 20
    static let partSize: UInt64 = 64 << 20

    init(name: String, client: S3Client, prefix: String, cache: String) {
        (self.name, self.client, self.prefix, self.cache) = (name, client, prefix, cache)
    }

    public var url: String { "s3://\(client.bucket)" + (prefix.isEmpty ? "" : "/" + prefix.dropLast()) }

    func key(_ rest: String) -> String { prefix + rest }

    // MARK: FORMAT

    /// Checks that the prefix holds a lake; `create` writes FORMAT where there is none.
    public func checkFormat(create: Bool) throws {
        if let r = try client.get(key("FORMAT")) {
            let text = String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text == Self.format else { throw RemoteError.notALakeRemote(url: url, found: text) }
            return
        }
        guard create else { throw RemoteError.notALakeRemote(url: url, found: nil) }
        do {
            try client.put(key("FORMAT"), .bytes(Array((Self.format + "\n").utf8)), condition: .absent)
        } catch S3Error.preconditionFailed {
            try checkFormat(create: false)
        } catch S3Error.uncertain {
            try checkFormat(create: false)
        }
    }

    // MARK: Journal

    func batchKey(_ number: Int) -> String { key("journal/" + Self.batchName(number)) }

    static func batchName(_ number: Int) -> String { number.zeroPadded(12) + ".jsonl" }

    /// Every batch of the remote's journal, in order: those read before from the cache, the
    /// new ones from the server.
    public func journal() throws -> [[JournalRecord]] {
        let dir = cache + "/journal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var batches = [[JournalRecord]]()
        while let data = FileManager.default.contents(atPath: dir + "/" + Self.batchName(batches.count + 1)) {
            batches.append(try Self.decodeBatch(data, key: batchKey(batches.count + 1)))
        }
        let listed = try client.list(prefix: key("journal/"), startAfter: batchKey(batches.count)).map(\.key)
        let expected = (0 ..< listed.count).map { batchKey(batches.count + 1 + $0) }
        guard listed == expected else {
            throw RemoteError.damagedRemote(key: key("journal/"), problem: "batches after \(batches.count) are not numbered one by one: \(listed.prefix(3).joined(separator: ", "))")
        }
        let start = batches.count
        var fetched = [[UInt8]?](repeating: nil, count: listed.count)
        let lock = NSLock()
        try Parallel.forEach(Array(listed.indices)) { i in
            guard let body = try self.client.get(listed[i])?.body else { throw S3Error.notFound(key: listed[i]) }
            lock.lock(); fetched[i] = body; lock.unlock()
        }
        for (i, body) in fetched.enumerated() {
            let data = Data(body!)
            batches.append(try Self.decodeBatch(data, key: listed[i]))
            try Self.writeAtomically(data, to: dir + "/" + Self.batchName(start + i + 1))
        }
        return batches
    }

    static func decodeBatch(_ data: Data, key: String) throws -> [JournalRecord] {
        let decoder = Journal.decoder()
        return try data.split(separator: 0x0A).map { line in
            let record: JournalRecord
            do { record = try decoder.decode(JournalRecord.self, from: line) } catch {
                throw RemoteError.damagedRemote(key: key, problem: "a line is not a journal record (\(error))")
            }
            // A pull writes an archive to the place its record names: only under archives/.
            if case .archive(let a) = record, !(a.archive.hasPrefix("archives/") && Manifest.isSafePath(a.archive)) {
                throw RemoteError.damagedRemote(key: key, problem: "an archive record names '\(a.archive)', not a path under archives/")
            }
            return record
        }
    }

    /// One JSON line per value, as the journal writes them.
    static func encodeLines<T: Encodable>(_ values: [T]) throws -> Data {
        let encoder = Journal.encoder()
        var out = Data()
        for v in values {
            out.append(try encoder.encode(v))
            out.append(0x0A)
        }
        return out
    }

    enum Append {
        case appended
        /// Another lake created the batch first.
        case taken
        /// The write got no answer and did not happen (yet).
        case unanswered(S3Error)
    }

    /// Creates batch `number`.
    func appendBatch(_ records: [JournalRecord], number: Int) throws -> Append {
        let data = try Self.encodeLines(records)
        let key = batchKey(number)
        do {
            try client.put(key, .bytes(Array(data)), sha256: SHA256Hasher.hash(Array(data)).hex, condition: .absent)
        } catch S3Error.preconditionFailed {
            return .taken
        } catch let e as S3Error {
            guard case .uncertain = e else { throw e }
            guard let body = try client.get(key)?.body else { return .unanswered(e) }
            guard Data(body) == data else { return .taken }
        }
        try Self.writeAtomically(data, to: cache + "/journal/" + Self.batchName(number))
        return .appended
    }

    // MARK: Objects

    /// What objects the remote holds, and where.
    public struct Inventory {
        public var packed: [ObjectID: (pack: String, offset: UInt64, length: UInt64)] = [:]
        public var packSizes: [String: UInt64] = [:]
        public var loose: [ObjectID: UInt64] = [:]

        public func has(_ id: ObjectID) -> Bool { packed[id] != nil || loose[id] != nil }
    }

    /// Lists the packs and loose objects; a pack's index is read once and cached.
    public func inventory() throws -> Inventory {
        var inventory = Inventory()
        let packs = try client.list(prefix: key("packs/")).filter { $0.key.hasSuffix(".pack") }
        let lock = NSLock()
        try Parallel.forEach(packs) { pack in
            let name = String(pack.key.dropFirst(self.key("packs/").count).dropLast(5))
            let entries = try self.packIndex(name, size: pack.size)
            lock.lock()
            inventory.packSizes[name] = pack.size
            for e in entries { inventory.packed[e.id] = (name, e.offset, e.length) }
            lock.unlock()
        }
        for object in try client.list(prefix: key("objects/")) {
            guard let id = try? ObjectID(parsing: String(object.key.dropFirst(key("objects/").count))) else { continue }
            inventory.loose[id] = object.size
        }
        return inventory
    }

    private func packIndex(_ name: String, size: UInt64) throws -> [PackFormat.Entry] {
        let cached = cache + "/packs/" + name + ".idx"
        let packKey = key("packs/\(name).pack")
        var index = FileManager.default.contents(atPath: cached).map { [UInt8]($0) }
        if index == nil {
            guard let trailer = try client.get(packKey, range: "bytes=-\(PackFormat.trailerSize)")?.body else { throw S3Error.notFound(key: packKey) }
            let (offset, _) = try PackFormat.parseTrailer(trailer, fileSize: size, path: packKey)
            guard let body = try client.get(packKey, range: "bytes=\(offset)-\(size - 1)")?.body else { throw S3Error.notFound(key: packKey) }
            guard SHA256Hasher.hash(body).hex == name else {
                throw RemoteError.damagedRemote(key: packKey, problem: "its index does not hash to its name")
            }
            try FileManager.default.createDirectory(atPath: cache + "/packs", withIntermediateDirectories: true)
            try Self.writeAtomically(Data(body), to: cached)
            index = body
        }
        return try PackFormat.parseTail(index!, path: packKey)
    }

    /// Uploads small objects as one pack.
    func uploadPack(_ pack: inout PackFormat.Builder) throws {
        let (name, bytes) = pack.finish()
        try client.put(key("packs/\(name).pack"), .bytes(bytes), sha256: SHA256Hasher.hash(bytes).hex)
    }

    /// Uploads a file under `key` whose SHA-256 is `sha256` (hex): one PUT that the server
    /// checks against the hash, or parts when it is large.
    func uploadFile(_ path: String, size: UInt64, sha256: String, as key: String) throws {
        if size >= Self.multipartThreshold {
            try client.putMultipart(key, path: path, length: size, partSize: Self.partSize)
        } else {
            try client.put(key, .file(path: path, offset: 0, length: size), sha256: sha256)
        }
    }

    func objectKey(_ id: ObjectID) -> String { key("objects/" + id.hex) }

    /// Brings `ids` into `batch`, each verified against its name: packed ones by ranges of
    /// their pack (or the whole pack when most of it is wanted), loose ones streamed to disk.
    /// `progress` gets the bytes of each object stored.
    public func fetch(_ ids: [ObjectID], inventory: Inventory, into batch: ObjectBatch, progress: @escaping (UInt64) -> Void = { _ in }) throws {
        var byPack = [String: [(id: ObjectID, offset: UInt64, length: UInt64)]]()
        var loose = [(id: ObjectID, size: UInt64)]()
        for id in Set(ids) {
            if let p = inventory.packed[id] {
                byPack[p.pack, default: []].append((id, p.offset, p.length))
            } else if let size = inventory.loose[id] {
                loose.append((id, size))
            } else {
                throw RemoteError.objectMissing(remote: name, id: id.description)
            }
        }
        typealias Slice = (id: ObjectID, offset: UInt64, length: UInt64)
        /// `whole`: one GET of the pack for all of `wanted`; else a ranged GET each.
        enum Job { case packed(String, [Slice], whole: Bool); case loose(ObjectID, UInt64) }
        var jobs = [Job]()
        for (pack, wanted) in byPack {
            let bytes = wanted.reduce(UInt64(0)) { $0 + $1.length }
            if wanted.count > 8 && bytes * 2 > inventory.packSizes[pack, default: 0] {
                jobs.append(.packed(pack, wanted, whole: true))
            } else {
                jobs += wanted.map { .packed(pack, [$0], whole: false) }
            }
        }
        jobs += loose.map { .loose($0.id, $0.size) }
        try Parallel.forEach(jobs) { job in
            switch job {
            case .packed(let pack, let wanted, let whole):
                let packKey = self.key("packs/\(pack).pack")
                let body = whole ? try self.client.get(packKey)?.body : nil
                if whole, body == nil { throw S3Error.notFound(key: packKey) }
                for w in wanted {
                    let bytes: [UInt8]
                    if let body {
                        guard w.offset + w.length <= UInt64(body.count) else { throw RemoteError.damagedRemote(key: packKey, problem: "it is shorter than its index says") }
                        bytes = Array(body[Int(w.offset) ..< Int(w.offset + w.length)])
                    } else if w.length == 0 {
                        bytes = []
                    } else {
                        guard let range = try self.client.get(packKey, range: "bytes=\(w.offset)-\(w.offset + w.length - 1)")?.body else {
                            throw S3Error.notFound(key: packKey)
                        }
                        bytes = range
                    }
                    try self.store(bytes, as: w.id, from: packKey, into: batch)
                    progress(w.length)
                }
            case .loose(let id, let size):
                let objectKey = self.objectKey(id)
                let actual = try self.client.withRetries(objectKey) {
                    try batch.storeChunks(size: size, expecting: id) { sink in try self.client.stream(objectKey, to: sink) }
                }
                guard actual == id else { throw RemoteError.corruptObject(key: objectKey, expected: id.description, actual: actual.description) }
                progress(size)
            }
        }
    }

    private func store(_ bytes: [UInt8], as id: ObjectID, from key: String, into batch: ObjectBatch) throws {
        let actual = SHA256Hasher.hash(bytes)
        guard actual == id else { throw RemoteError.corruptObject(key: "\(key) (object \(id.short))", expected: id.description, actual: actual.description) }
        try batch.store(bytes, as: id)
    }

    // MARK: Snapshot profiles and archives

    func profileKey(_ snapshot: SnapshotID) -> String { key("snapshots/\(snapshot.object.hex).json") }

    func putProfile(_ profile: SnapshotProfile, of snapshot: SnapshotID) throws {
        let data = try Journal.encoder().encode(profile)
        try client.put(profileKey(snapshot), .bytes(Array(data)), sha256: SHA256Hasher.hash(Array(data)).hex)
    }

    func profile(of snapshot: SnapshotID) throws -> SnapshotProfile? {
        guard let body = try client.get(profileKey(snapshot))?.body else { return nil }
        do { return try Journal.decoder().decode(SnapshotProfile.self, from: Data(body)) } catch {
            throw RemoteError.damagedRemote(key: profileKey(snapshot), problem: "it is not a snapshot profile (\(error))")
        }
    }

    /// `archives/index.jsonl` on the remote: the lines of a lake's own index
    /// (docs/format.md §13.1), for whoever reads the bucket with plain tools. It is made from
    /// the journal's archive records and rewritten by compare-and-swap, so two pushes at once
    /// both get their lines in.
    func addToArchiveIndex(_ records: [ArchiveRecord]) throws {
        let key = self.key("archives/index.jsonl")
        let lines = try records.map { String(decoding: try Journal.encoder().encode($0), as: UTF8.self) }
        var unanswered = 0
        for _ in 0 ..< 50 {
            let current = try client.get(key)
            var text = current.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
            let listed = Set(text.split(separator: "\n").map(String.init))
            let missing = lines.filter { !listed.contains($0) }
            guard !missing.isEmpty else { return }
            text += missing.map { $0 + "\n" }.joined()
            let bytes = Array(text.utf8)
            do {
                try client.put(key, .bytes(bytes), sha256: SHA256Hasher.hash(bytes).hex, condition: current.map { .etag($0.etag ?? "") } ?? .absent)
                return
            } catch S3Error.preconditionFailed {
                continue
            } catch let e as S3Error {
                guard case .uncertain = e else { throw e }
                unanswered += 1
                if unanswered == 3 { throw e }
            }
        }
        throw S3Error.uncertain(key: key, cause: "other lakes kept rewriting it")
    }

    // MARK: Refs

    func refKey(_ ref: String) -> String { key("refs/" + ref) }

    /// A ref on the remote: the moves its object holds (the last is where the ref points) and
    /// the ETag that a compare-and-swap must name.
    public struct RemoteRef {
        /// The moves of the push that last moved the ref which the journal may lack, oldest
        /// first: a push that died between moving the ref and appending its moves leaves them
        /// here, and the next pull or push takes them from here.
        public var moves: [JournalRecord.RefMoveEntry]
        public var etag: String
        public var move: JournalRecord.RefMoveEntry { moves[moves.count - 1] }
    }

    public func ref(_ ref: String) throws -> RemoteRef? {
        guard let r = try client.get(refKey(ref)) else { return nil }
        let decoder = Journal.decoder()
        do {
            let moves = try r.body.split(separator: 0x0A).map { try decoder.decode(JournalRecord.RefMoveEntry.self, from: Data($0)) }
            guard !moves.isEmpty else { throw RemoteError.damagedRemote(key: refKey(ref), problem: "it is empty") }
            return RemoteRef(moves: moves, etag: r.etag ?? "")
        } catch let e as RemoteError {
            throw e
        } catch {
            throw RemoteError.damagedRemote(key: refKey(ref), problem: "it is not a list of ref moves (\(error))")
        }
    }

    /// The names of the remote's refs.
    public func refNames() throws -> [String] {
        try client.list(prefix: key("refs/")).map { String($0.key.dropFirst(key("refs/").count)) }
    }

    /// Moves a ref by compare-and-swap to the last of `moves` (one JSON line each): `etag` nil
    /// creates it. Returns false when the ref was not where the caller saw it.
    func swapRef(_ moves: [JournalRecord.RefMoveEntry], etag: String?) throws -> Bool {
        let data = try Remote.encodeLines(moves)
        let last = moves[moves.count - 1]
        do {
            try client.put(refKey(last.ref), .bytes(Array(data)), sha256: SHA256Hasher.hash(Array(data)).hex,
                           condition: etag.map { .etag($0) } ?? .absent)
            return true
        } catch S3Error.preconditionFailed {
            return false
        } catch let e as S3Error {
            guard case .uncertain = e else { throw e }
            // RGW answers 500 to some losers of a race: the object on the server tells. One
            // still as the caller saw it was not written at all (a server that stopped taking
            // writes): that is no lost race.
            let now = try ref(last.ref)
            if now?.moves == moves { return true }
            if now?.etag == etag { throw e }
            return false
        }
    }

    // MARK: Files

    static func writeAtomically(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        try data.write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, path) == 0 else { throw SystemError("rename", path: tmp) }
    }
}
