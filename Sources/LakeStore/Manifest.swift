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
        for e in sorted where !Self.isSafe(e.path) {
            throw StoreError.invalidManifest("path '\(e.path)' is not a relative path of named segments (no '/' at either end, no '.', '..', empty segment or NUL)")
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where !inOrder && !String.utf8Precedes(a.path, b.path) {
            throw StoreError.invalidManifest("path '\(a.path)' appears twice")
        }
        self.entries = sorted
        id = SnapshotID(SHA256Hasher.hash(Self.encode(sorted)))
    }

    /// One pass over the bytes: every `/`-separated segment is non-empty, not `.` or `..`, and
    /// holds no NUL.
    public static func isSafePath(_ path: String) -> Bool { isSafe(path) }

    static func isSafe(_ path: String) -> Bool {
        var path = path
        return path.withUTF8(isSafe)
    }

    private static func isSafe(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var segmentLength = 0
        var dots = 0
        for b in bytes {
            if b == 0 { return false }
            if b == UInt8(ascii: "/") {
                if segmentLength == 0 || segmentLength == dots && dots <= 2 { return false }
                segmentLength = 0
                dots = 0
            } else {
                segmentLength += 1
                if b == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return segmentLength > 0 && !(segmentLength == dots && dots <= 2)
    }

    public var totalBytes: UInt64 { entries.reduce(0) { $0 + $1.size } }

    /// The canonical bytes.
    public func encoded() -> [UInt8] { Self.encode(entries) }

    private static func encode(_ entries: [ManifestEntry]) -> [UInt8] {
        var out = Array(Self.header.utf8)
        out.reserveCapacity(out.count + entries.count * 100)
        for e in entries {
            appendNumber(UInt64(e.mode), radix: 8, to: &out)
            out.append(0x20)
            appendNumber(e.size, radix: 10, to: &out)
            out.append(0x20)
            e.object.appendHex(to: &out)
            out.append(0x20)
            escape(e.path, into: &out)
            out.append(0x0A)
        }
        return out
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

    /// Digits without a String per number: encoding runs once per file of every commit.
    static func appendNumber(_ value: UInt64, radix: UInt64, to out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[n] = UInt8(ascii: "0") + UInt8(v % radix)
                v /= radix
                n += 1
            } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }

    /// `%`, control bytes and DEL become `%XX`, so every path is one line.
    static func escape(_ path: String, into out: inout [UInt8]) {
        func plain(_ b: UInt8) -> Bool { b >= 0x20 && b != 0x7F && b != UInt8(ascii: "%") }
        var path = path
        path.withUTF8 { bytes in
            if bytes.allSatisfy(plain) { return out.append(contentsOf: bytes) }
            for b in bytes {
                if !plain(b) {
                    out.append(UInt8(ascii: "%"))
                    out.append(contentsOf: String(format2hex: b).utf8)
                } else {
                    out.append(b)
                }
            }
        }
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

extension String {
    init(format2hex b: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }
}
