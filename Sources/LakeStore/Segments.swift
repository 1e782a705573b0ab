import Foundation
import LakeCore

/// One part of an object stored as segments.
public struct Segment: Sendable, Equatable {
    public var id: ObjectID
    public var size: UInt64
}

/// Ledgers only grow (DESIGN invariant 5), and a ledger of many versions must cost about its
/// final size, not the sum of its versions. So a new version of a large ledger file is stored
/// as the previous version's parts plus one new object for the appended bytes, listed in
/// `objects/ab/cdef….segments` (docs/format.md, "Segments"):
///
/// ```
/// lake-segments v1
/// sha256:<hex of part 1> <size>
/// sha256:<hex of part 2> <size>
/// ```
///
/// The object keeps its name (the SHA-256 of all its bytes), so manifests, snapshot IDs and
/// every reader are unchanged; reading it streams the parts and checks each part and the whole.
extension ObjectStore {
    static let segmentsSuffix = ".segments"
    static let segmentsMagic = "lake-segments v1"

    func segmentsPath(_ id: ObjectID) -> String { loosePath(id) + Self.segmentsSuffix }

    /// The parts of an object stored as segments; nil when it is not.
    public func segments(of id: ObjectID) throws -> [Segment]? {
        guard let data = FileManager.default.contents(atPath: segmentsPath(id)) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == Substring(Self.segmentsMagic), lines.last == "" else {
            throw StoreError.corruptSegments(path: segmentsPath(id), problem: "not a 'lake-segments v1' list ending in a newline")
        }
        return try lines.dropFirst().dropLast().map { line in
            let fields = line.split(separator: " ")
            guard fields.count == 2, let part = try? ObjectID(parsing: String(fields[0])), let size = UInt64(fields[1]) else {
                throw StoreError.corruptSegments(path: segmentsPath(id), problem: "bad line '\(line)'")
            }
            return Segment(id: part, size: size)
        }
    }

    /// Every object stored as segments, with its list's path.
    public func segmentedObjects() -> [(id: ObjectID, path: String)] {
        let fm = FileManager.default
        var out = [(ObjectID, String)]()
        for fan in ((try? fm.contentsOfDirectory(atPath: objectsDirectory)) ?? []).sorted() {
            for name in ((try? fm.contentsOfDirectory(atPath: objectsDirectory + "/" + fan)) ?? []).sorted()
            where name.hasSuffix(Self.segmentsSuffix) {
                if let id = try? ObjectID(parsing: fan + name.dropLast(Self.segmentsSuffix.count)) {
                    out.append((id, objectsDirectory + "/" + fan + "/" + name))
                }
            }
        }
        return out
    }

    /// Stores `full` (`fullSize` bytes, held loose, whose first `baseSize` bytes are the object
    /// `base`) as the parts of `base` plus one new object for the rest. The caller checked the
    /// prefix; it finishes the batch, syncs, and only then removes the loose copy whose path
    /// this returns (nil, and nothing done, when `full` is not loose): until then the loose
    /// copy is what readers find, so a crash at any point loses nothing. Only an object `batch`
    /// wrote is turned into segments: one stored before may be a part of another object's list
    /// (another ledger holding the same bytes), and a part must stay a whole object.
    public func storeAsAppend(_ full: ObjectID, size fullSize: UInt64, extending base: ObjectID, baseSize: UInt64,
                              batch: ObjectBatch) throws -> String? {
        guard fullSize > baseSize, batch.wrote(full), case .loose(let path)? = try location(of: full) else { return nil }
        let baseParts = try segments(of: base) ?? [Segment(id: base, size: baseSize)]
        let fd = try FileIO.open(path, O_RDONLY)
        defer { close(fd) }
        guard lseek(fd, off_t(baseSize), SEEK_SET) == off_t(baseSize) else { throw SystemError("seek", path: path) }
        let tailSize = fullSize - baseSize
        var tail = [UInt8]()
        let tailID: ObjectID
        if tailSize < UInt64(Self.looseThreshold) {
            tail = [UInt8](repeating: 0, count: Int(tailSize))
            let n = try tail.withUnsafeMutableBytes { try FileIO.read(fd, $0.baseAddress!, $0.count, path: path, expecting: Int(tailSize)) }
            guard n == Int(tailSize) else { throw StoreError.sourceChanged(path) }
            tailID = try batch.store(tail)
        } else {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            tailID = try batch.storeLoose(from: fd, path: path, buffer: buffer, bufferSize: 1 << 20) { _ in }.id
        }
        let parts = baseParts + [Segment(id: tailID, size: tailSize)]
        let text = ([Self.segmentsMagic] + parts.map { "\($0.id) \($0.size)" }).joined(separator: "\n") + "\n"
        let tmp = tmpDirectory + "/" + FileIO.uniqueName("segments")
        try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
        try put(tmp, at: segmentsPath(full))
        return path
    }
}
