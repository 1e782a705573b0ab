import LakeCore

/// One file of a snapshot.
public struct ManifestEntry: Hashable, Sendable {
    /// Regular files are `0o100644` or `0o100755` (only the executable bit is kept, so that an
    /// ID does not depend on a umask); symbolic links are `0o120000` and their object holds the
    /// link's target.
    public var mode: UInt32
    public var size: UInt64
    public var object: ObjectID
    /// Slash-separated, relative, valid UTF-8.
    public var path: String

    public static let regular: UInt32 = 0o100644
    public static let executable: UInt32 = 0o100755
    public static let symlink: UInt32 = 0o120000

    public init(path: String, mode: UInt32, size: UInt64, object: ObjectID) {
        self.path = path
        self.mode = mode
        self.size = size
        self.object = object
    }

    public var isSymlink: Bool { mode == Self.symlink }
    public var isExecutable: Bool { mode == Self.executable }
}

/// A snapshot's list of files in the fixed encoding `lake-manifest v1` (docs/format.md):
///
/// ```text
/// lake-manifest v1\n
/// <mode octal> <size> <object hex> <path, %-escaped>\n     one line per file, sorted by path bytes
/// ```
///
/// The snapshot ID is the SHA-256 of exactly these bytes, so it depends on nothing but content,
/// paths and executable bits.
public struct Manifest: Sendable, Equatable {
    public static let header = "lake-manifest v1\n"

    /// Sorted by the UTF-8 bytes of their paths.
    public let entries: [ManifestEntry]
    /// The snapshot ID these entries get: the SHA-256 of `encoded()`, computed once.
    public let id: SnapshotID

    /// Sorts the entries; refuses paths that could escape a checkout (absolute, `.`, `..`,
    /// empty segments, NUL) and two entries with one path.
    public init(entries: [ManifestEntry]) throws {
        func ascending(_ list: [ManifestEntry]) -> Bool {
            list.indices.dropFirst().allSatisfy { String.utf8Precedes(list[$0 - 1].path, list[$0].path) }
        }
        // A commit's entries come in order already (TreeScanner walks in manifest order), and
        // strictly ascending paths are unique paths.
        let inOrder = ascending(entries)
        let sorted = inOrder ? entries : entries.sorted { String.utf8Precedes($0.path, $1.path) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where !inOrder && !String.utf8Precedes(a.path, b.path) {
            throw StoreError.invalidManifest("path '\(a.path)' appears twice")
        }
        let (bytes, unsafe) = Self.encode(sorted)
        if let unsafe {
            throw StoreError.invalidManifest("path '\(sorted[unsafe].path)' is not a relative path of named segments (no '/' at either end, no '.', '..', empty segment or NUL)")
        }
        self.entries = sorted
        id = SnapshotID(SHA256Hasher.hash(bytes))
    }

    /// One pass over the bytes: every `/`-separated segment is non-empty, not `.` or `..`, and
    /// holds no NUL.
    public static func isSafePath(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in
            var segment = 0
            for i in bytes.indices where bytes[i] == UInt8(ascii: "/") {
                guard isName(bytes, segment ..< i) else { return false }
                segment = i + 1
            }
            return !bytes.contains(0) && isName(bytes, segment ..< bytes.count)
        }
    }

    /// Whether `path[range]` can be a path segment: not empty, `.` or `..`.
    private static func isName(_ path: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let dot = UInt8(ascii: ".")
        switch range.count {
        case 0: return false
        case 1: return path[range.lowerBound] != dot
        case 2: return path[range.lowerBound] != dot || path[range.lowerBound + 1] != dot
        default: return true
        }
    }

    public var totalBytes: UInt64 { entries.reduce(0) { $0 + $1.size } }

    /// The canonical bytes.
    public func encoded() -> [UInt8] { Self.encode(entries).bytes }

    /// The canonical bytes of `entries`, and the index of the first whose path is not safe
    /// (section 6 of docs/format.md), checked in the same pass: a commit encodes every path
    /// of its tree. Written through a pointer into a buffer sized for the worst case.
    private static func encode(_ entries: [ManifestEntry]) -> (bytes: [UInt8], unsafe: Int?) {
        let header = Self.header.utf8
        // Per entry at most: 11 octal digits of mode, 20 digits of size, 64 of ID, three
        // spaces, a newline, and each path byte escaped to three.
        let bound = entries.reduce(header.count) { $0 + 99 + 3 * $1.path.utf8.count }
        var unsafe: Int?
        let bytes = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            var out = buffer.baseAddress!
            for b in header { out.pointee = b; out += 1 }
            for (i, e) in entries.enumerated() {
                write(UInt64(e.mode), radix: 8, to: &out)
                out.pointee = 0x20
                out += 1
                write(e.size, radix: 10, to: &out)
                out.pointee = 0x20
                out += 1
                e.object.writeHex(to: out)
                out[64] = 0x20
                out += 65
                var path = e.path
                guard path.withUTF8({ writeEscaped($0, to: &out) }) else {
                    unsafe = i
                    break
                }
                out.pointee = 0x0A
                out += 1
            }
            count = out - buffer.baseAddress!
        }
        return (bytes, unsafe)
    }

    /// Digits in `radix` (8 or 10), most significant first.
    private static func write(_ value: UInt64, radix: UInt64, to out: inout UnsafeMutablePointer<UInt8>) {
        var n = 1, v = value
        while v >= radix { v /= radix; n += 1 }
        v = value
        for i in stride(from: n - 1, through: 0, by: -1) {
            out[i] = UInt8(ascii: "0") + UInt8(v % radix)
            v /= radix
        }
        out += n
    }

    /// Writes `path` with `%`, control bytes and DEL as `%XX` (uppercase hex), so every path
    /// is one line; false, writing nothing, when the path is not safe. Nearly every path needs
    /// no escape: it is checked in one pass and copied whole.
    private static func writeEscaped(_ path: UnsafeBufferPointer<UInt8>, to out: inout UnsafeMutablePointer<UInt8>) -> Bool {
        var segment = 0, plain = true
        for i in path.indices {
            let b = path[i]
            if b == UInt8(ascii: "/") {
                guard isName(path, segment ..< i) else { return false }
                segment = i + 1
            } else if b < 0x20 || b == 0x7F || b == UInt8(ascii: "%") {
                guard b != 0 else { return false }
                plain = false
            }
        }
        guard isName(path, segment ..< path.count) else { return false }
        guard !plain else {
            if let bytes = path.baseAddress { out.initialize(from: bytes, count: path.count) }
            out += path.count
            return true
        }
        let hex = StaticString("0123456789ABCDEF").utf8Start
        for b in path {
            if b >= 0x20, b != 0x7F, b != UInt8(ascii: "%") {
                out.pointee = b
                out += 1
            } else {
                (out[0], out[1], out[2]) = (UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)])
                out += 3
            }
        }
        return true
    }

    /// Parses canonical bytes; anything else (wrong header, order, escapes) is refused, so a
    /// manifest has one encoding only.
    public init(decoding bytes: [UInt8]) throws {
        let header = Array(Self.header.utf8)
        guard bytes.starts(with: header) else { throw StoreError.invalidManifest("missing 'lake-manifest v1' header") }
        var entries = [ManifestEntry]()
        for line in bytes[header.count...].split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4,
                  let mode = Self.number(fields[0], radix: 8).flatMap(UInt32.init(exactly:)),
                  [ManifestEntry.regular, ManifestEntry.executable, ManifestEntry.symlink].contains(mode),
                  let size = Self.number(fields[1], radix: 10),
                  let object = ObjectID(hexDigits: fields[2]),
                  let path = Self.unescape(Array(fields[3]))
            else { throw StoreError.invalidManifest("malformed line '\(String(decoding: line, as: UTF8.self))'") }
            entries.append(ManifestEntry(path: path, mode: mode, size: size, object: object))
        }
        guard bytes.last == 0x0A || entries.isEmpty else { throw StoreError.invalidManifest("missing final newline") }
        try self.init(entries: entries)
        // The ID is the hash of the canonical encoding: equal hashes, equal bytes.
        guard SnapshotID(SHA256Hasher.hash(bytes)) == id else { throw StoreError.invalidManifest("not in canonical form") }
    }

    /// Digits in `radix` (8 or 10) without a String; nil when empty, not digits, or too large.
    private static func number(_ digits: ArraySlice<UInt8>, radix: UInt64) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for c in digits {
            let d = UInt64(c &- UInt8(ascii: "0"))
            guard d < radix else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: radix)
            let (sum, o2) = times.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    static func unescape(_ bytes: [UInt8]) -> String? {
        var out = [UInt8]()
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let v = UInt8(String(decoding: bytes[i + 1 ... i + 2], as: UTF8.self), radix: 16) else { return nil }
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(validUTF8: out)
    }
}
