import Foundation

/// What a commit learns of a tabular file while its bytes stream past to be hashed: rows,
/// column names and how many records did not parse. A malformed record is counted, never
/// fatal: the file is stored as it is.
public struct TableProfile: Sendable, Equatable, Codable {
    /// CSV/TSV: records after the header. JSON lines: lines that are JSON objects.
    public var rows: Int64
    /// CSV/TSV: the header's fields. JSON lines: the union of top-level keys in the order
    /// first seen, at most `maxColumns`.
    public var columns: [String]
    /// CSV/TSV: records whose field count differs from the header's, and a quoted field the
    /// file ends inside. JSON lines: non-blank lines that are not one JSON object. Either: a
    /// compressed stream that is corrupt or cut short counts once more, and what came before
    /// it is counted as usual (a record it stopped inside is an error of its own).
    public var parseErrors: Int64

    /// Columns past this many are not listed (a JSON-lines file may have any number of keys).
    public static let maxColumns = 500

    public init(rows: Int64, columns: [String], parseErrors: Int64) {
        (self.rows, self.columns, self.parseErrors) = (rows, columns, parseErrors)
    }
}

/// The layout of a tabular file's records.
public enum TableFormat: Sendable, Equatable {
    case jsonLines, csv, tsv

    /// The format and compression of a file named `.csv`, `.tsv`, `.jsonl` or `.ndjson`,
    /// optionally followed by `.gz` or `.zst` (any case); nil for other files.
    public static func of(fileName: String) -> (format: TableFormat, compression: Compression?)? {
        // Called for every committed file: look at the extensions' bytes, not Foundation's.
        var name = Substring(fileName)
        var compression: Compression?
        if let ext = lastExtension(name), let c = Compression(extension: ext) {
            compression = c
            name = name.dropLast(ext.utf8.count + 1)
        }
        switch lastExtension(name) {
        case "jsonl", "ndjson": return (.jsonLines, compression)
        case "csv": return (.csv, compression)
        case "tsv": return (.tsv, compression)
        default: return nil
        }
    }

    /// The lowercased text after the last dot of a name's last component, when short.
    private static func lastExtension(_ name: Substring) -> String? {
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        let ext = name.utf8[name.utf8.index(after: dot)...]
        guard ext.count <= 6, !ext.contains(UInt8(ascii: "/")) else { return nil }
        return String(decoding: ext.map { $0 | 0x20 }, as: UTF8.self)
    }
}

/// Profiles one tabular file from the chunks of its stored bytes: decompresses them when the
/// name says so, and scans records in a single pass with fixed memory.
public final class TableProfiler {
    private let decompressor: StreamDecompressor?
    // The scanners are structs held in optionals and mutated in place: one access check per
    // chunk, where a class's properties would cost one per byte.
    private var jsonLines: JSONLinesScanner?
    private var delimited: DelimitedScanner?
    /// The compressed stream failed: later bytes are not scanned.
    private var streamFailed = false

    /// The profiler for a file name, or nil for files that are not tables.
    public init?(fileName: String) {
        guard let (format, compression) = TableFormat.of(fileName: fileName) else { return nil }
        decompressor = try? compression.map(StreamDecompressor.init)
        if format == .jsonLines { jsonLines = JSONLinesScanner() } else { delimited = DelimitedScanner(tabs: format == .tsv) }
        if compression != nil, decompressor == nil { streamFailed = true }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard !streamFailed else { return }
        guard let decompressor else { return scan(bytes) }
        do {
            try decompressor.feed(bytes) { scan($0) }
        } catch {
            streamFailed = true
        }
    }

    private func scan(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        jsonLines?.scan(base, bytes.count)
        delimited?.scan(base, bytes.count)
    }

    /// The profile, once every byte went through `update`.
    public func finish() -> TableProfile {
        if !streamFailed, let decompressor, (try? decompressor.finish()) == nil { streamFailed = true }
        var profile = jsonLines?.finish() ?? delimited?.finish() ?? TableProfile(rows: 0, columns: [], parseErrors: 0)
        if streamFailed { profile.parseErrors += 1 }
        return profile
    }
}

extension TableProfiler {
    /// Profiles the tabular files of a stored snapshot by reading their objects (when the
    /// catalog is rebuilt, or a journal record is applied after a crash).
    public static func profiles(of manifest: Manifest, in store: ObjectStore) throws -> [String: TableProfile] {
        var out = [String: TableProfile]()
        for e in manifest.entries where !e.isSymlink {
            guard let profiler = TableProfiler(fileName: e.path) else { continue }
            try store.read(e.object) { profiler.update($0) }
            out[e.path] = profiler.finish()
        }
        return out
    }
}

/// Whether a byte is a space, tab or carriage return: what a blank line may hold.
@inline(__always)
private func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

/// CSV (RFC 4180: a newline or delimiter inside double quotes belongs to the field) and TSV
/// (no quoting: a tab always separates, a newline always ends). The first non-blank record
/// is the header; blank lines are skipped.
struct DelimitedScanner {
    private let delimiter: UInt8
    private let quotes: Bool
    private var rows: Int64 = 0
    private var errors: Int64 = 0
    private var inQuotes = false
    private var fields = 1
    private var recordHasContent = false
    private var headerFields: Int?
    /// The header's bytes while it is read, capped so a file without newlines stays bounded.
    private var header = [UInt8]()
    private var columns = [String]()
    private static let headerCap = 1 << 20

    init(tabs: Bool) {
        delimiter = tabs ? 0x09 : 0x2C
        quotes = !tabs
    }

    mutating func scan(_ base: UnsafeRawPointer, _ count: Int) {
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < count {
            if headerFields != nil, !inQuotes, let next = scanPlainLine(p, i, count) {
                i = next
            } else {
                i = scanRecord(p, i, count)
            }
        }
    }

    /// The common case: the rest of a line holds no quote, so its newline ends the record and
    /// its fields are its delimiters plus one. Returns where to go on, or nil when the line
    /// has a quote.
    private mutating func scanPlainLine(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        let end = memchr(p + start, 0x0A, count - start).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - p } ?? count
        if quotes, memchr(p + start, 0x22, end - start) != nil { return nil }
        var delimiters = 0
        var content = recordHasContent
        var j = start
        // Byte by byte until the record has content (its first bytes, but for blank lines)...
        while !content, j < end {
            let b = p[j]
            if b == delimiter { delimiters += 1 } else if !isBlank(b) { content = true }
            j += 1
        }
        // ...then only delimiters are counted, in a loop without branches, which the compiler
        // turns into vector instructions.
        for k in j ..< end { delimiters &+= p[k] == delimiter ? 1 : 0 }
        fields += delimiters
        recordHasContent = content || delimiters > 0
        guard end < count else { return count }
        endRecord()
        return end + 1
    }

    /// Byte by byte up to and including the newline that ends the record, or the chunk's end.
    private mutating func scanRecord(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Int {
        var i = start
        while i < count {
            let b = p[i]
            if headerFields == nil, header.count < Self.headerCap { header.append(b) }
            i += 1
            if inQuotes {
                if b == 0x22 { inQuotes = false }
            } else if b == 0x0A {
                endRecord()
                return i
            } else if b == delimiter {
                fields += 1
                recordHasContent = true
            } else if b == 0x22, quotes {
                inQuotes = true
                recordHasContent = true
            } else if !isBlank(b) {
                recordHasContent = true
            }
        }
        return i
    }

    private mutating func endRecord() {
        defer { (fields, recordHasContent) = (1, false) }
        guard recordHasContent else {
            if headerFields == nil { header.removeAll(keepingCapacity: true) }
            return
        }
        guard let expected = headerFields else {
            headerFields = fields
            columns = Self.split(header, delimiter: delimiter, quotes: quotes)
            header = []
            return
        }
        rows += 1
        if fields != expected { errors += 1 }
    }

    mutating func finish() -> TableProfile {
        if inQuotes {
            // The file ends inside a quoted field: that record is cut short.
            errors += 1
        } else {
            endRecord()
        }
        return TableProfile(rows: rows, columns: columns, parseErrors: errors)
    }

    /// The fields of a header record: unquoted, `""` read as `"`, a BOM and the line's end
    /// dropped.
    static func split(_ record: [UInt8], delimiter: UInt8, quotes: Bool) -> [String] {
        var bytes = record[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes = bytes.dropLast() }
        var out = [String]()
        var field = [UInt8]()
        var inQuotes = false
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 {
                    if bytes.index(after: i) < bytes.endIndex, bytes[bytes.index(after: i)] == 0x22 {
                        field.append(0x22)
                        i = bytes.index(after: i)
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(b)
                }
            } else if b == delimiter {
                out.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else if b == 0x22, quotes {
                inQuotes = true
            } else {
                field.append(b)
            }
            i = bytes.index(after: i)
            if out.count == TableProfile.maxColumns { return out }
        }
        out.append(String(decoding: field, as: UTF8.self))
        return out
    }
}

/// JSON lines: each non-blank line must be one JSON object. The check is structural: strings
/// and their escapes, nesting, commas and colons, and `true`/`false`/`null` spelled right; a
/// number is any run of digits, signs, `.`, `e` and `E`. A newline always ends a line, also
/// inside a string or right after a `\`. It keeps no line in memory, only the nesting of the
/// current one.
struct JSONLinesScanner {
    private enum Expect: UInt8 {
        /// A value: at the start of a line, after `:` or `,` in an array.
        case value
        /// A key or `}` right after `{`.
        case keyOrClose
        /// A key, after `,` in an object.
        case key
        case colon
        /// `,` or the container's close, after a value.
        case commaOrClose
        /// A value or `]` right after `[`.
        case valueOrClose
        /// Nothing but blanks: the line's value is complete.
        case end
    }

    /// Where the current line is, in plain values: `scan` works on a local copy, which the
    /// compiler keeps in registers, and stores it back when the chunk is done.
    private struct Line {
        var expect = Expect.value
        var depth = 0
        var hasContent = false
        var broken = false
        var topIsObject = false
        var inString = false
        var escaped = false
        var stringIsKey = false
        var collectingKey = false
        /// The scalar being read: its first eight bytes, its length (0: none) and whether
        /// every byte so far may be in a number.
        var scalarBytes: UInt64 = 0
        var scalarCount = 0
        var scalarIsNumber = false
    }

    private var rows: Int64 = 0
    private var errors: Int64 = 0
    private var line = Line()
    /// The kinds of the open containers, outermost first (true for an object); only the first
    /// `line.depth` entries are the current line's.
    private var containers = [Bool]()
    private static let maxDepth = 1000

    // Columns: the union of top-level keys. A line's keys are collected, and merged only when
    // they differ from the line before's and were not seen on an earlier line; the common case
    // (every line with the same keys) costs one comparison per line.
    private var keyBytes = [UInt8]()
    private var keyEnds = [Int]()
    /// The keys of the last line whose keys differed from the line before it.
    private var previousKeyBytes = [UInt8]()
    private var previousKeyEnds = [Int]()
    private var seenKeySets = Set<UInt64>()
    private var columns = [String]()
    private var columnSet = Set<String>()
    private static let maxKeyLength = 4096
    private static let maxKeySets = 1 << 16

    private var keysWanted: Bool { columns.count < TableProfile.maxColumns }

    mutating func scan(_ base: UnsafeRawPointer, _ count: Int) {
        let p = base.assumingMemoryBound(to: UInt8.self)
        var s = line
        defer { line = s }
        var i = 0
        while i < count {
            if s.broken {
                // Skip to the line's end.
                guard let newline = memchr(p + i, 0x0A, count - i) else { return }
                i = UnsafePointer(newline.assumingMemoryBound(to: UInt8.self)) - p + 1
                endLine(&s)
                continue
            }
            if s.inString {
                if s.escaped {
                    s.escaped = false
                    // A line cut short after a backslash does not swallow the next one.
                    if p[i] == 0x0A {
                        s.broken = true
                        continue
                    }
                    if s.collectingKey { keyBytes.append(p[i]) }
                    i += 1
                    continue
                }
                let start = i
                i = Self.stringEnd(p, i, count)
                if s.collectingKey { appendKey(&s, p + start, i - start) }
                guard i < count else { return }
                switch p[i] {
                case 0x22:
                    s.inString = false
                    if s.stringIsKey {
                        endKey(&s)
                        s.expect = .colon
                    } else {
                        Self.afterValue(&s)
                    }
                    i += 1
                case 0x5C:
                    s.escaped = true
                    if s.collectingKey { keyBytes.append(0x5C) }
                    i += 1
                default:
                    // A raw newline: the line ends inside a string.
                    s.broken = true
                }
                continue
            }
            let b = p[i]
            if s.scalarCount > 0 {
                if Self.isScalarByte(b) {
                    if s.scalarCount < 8 { s.scalarBytes |= UInt64(b) << (8 * UInt64(s.scalarCount)) }
                    s.scalarIsNumber = s.scalarIsNumber && Self.isNumberByte(b)
                    s.scalarCount += 1
                    i += 1
                    continue
                }
                Self.endScalar(&s)
                if s.broken { continue }
            }
            i += 1
            switch b {
            case 0x0A: endLine(&s)
            case 0x20, 0x09, 0x0D: break
            // Commas and colons, a third of a line's structure, without a call.
            case 0x2C where s.expect == .commaOrClose:
                s.expect = containers[s.depth - 1] ? .key : .value
            case 0x3A where s.expect == .colon:
                s.expect = .value
            default:
                s.hasContent = true
                structural(b, &s)
            }
        }
    }

    /// The index of the first `"`, `\\` or newline at or after `start`, or `count`: eight
    /// bytes at a time (the bytes of a string are most of a JSON line).
    @inline(__always)
    private static func stringEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = ones &* 0x22, backslash = ones &* 0x5C, newline = ones &* 0x0A
        var i = start
        let raw = UnsafeRawPointer(p)
        while i + 8 <= count {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // A byte of x is zero where w has the byte looked for; the lowest flagged byte is
            // exact (borrows only flag bytes above it).
            let q = w ^ quote, b = w ^ backslash, n = w ^ newline
            let found = ((q &- ones) & ~q | (b &- ones) & ~b | (n &- ones) & ~n) & highs
            if found != 0 { return i + found.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < count {
            let c = p[i]
            if c == 0x22 || c == 0x5C || c == 0x0A { return i }
            i += 1
        }
        return count
    }

    @inline(__always)
    private mutating func structural(_ b: UInt8, _ s: inout Line) {
        let wantsValue = s.expect == .value || s.expect == .valueOrClose
        switch b {
        case 0x7B, 0x5B: // { [
            guard wantsValue, s.depth < Self.maxDepth else { s.broken = true; return }
            let object = b == 0x7B
            if s.depth == 0 { s.topIsObject = object }
            if s.depth < containers.count { containers[s.depth] = object } else { containers.append(object) }
            s.depth += 1
            s.expect = object ? .keyOrClose : .valueOrClose
        case 0x7D, 0x5D: // } ]
            let object = b == 0x7D
            let allowed = s.expect == .commaOrClose || s.expect == (object ? .keyOrClose : .valueOrClose)
            guard allowed, s.depth > 0, containers[s.depth - 1] == object else { s.broken = true; return }
            s.depth -= 1
            Self.afterValue(&s)
        case 0x2C: // ,
            guard s.expect == .commaOrClose else { s.broken = true; return }
            s.expect = containers[s.depth - 1] ? .key : .value
        case 0x3A: // :
            guard s.expect == .colon else { s.broken = true; return }
            s.expect = .value
        case 0x22: // "
            if s.expect == .keyOrClose || s.expect == .key {
                s.stringIsKey = true
                s.collectingKey = s.depth == 1 && keysWanted
            } else if wantsValue {
                s.stringIsKey = false
            } else {
                s.broken = true
                return
            }
            s.inString = true
        default:
            guard wantsValue, Self.isScalarByte(b) else { s.broken = true; return }
            (s.scalarBytes, s.scalarCount, s.scalarIsNumber) = (UInt64(b), 1, Self.isNumberByte(b))
        }
    }

    @inline(__always)
    private static func afterValue(_ s: inout Line) {
        s.expect = s.depth == 0 ? .end : .commaOrClose
    }

    @inline(__always)
    private static func isScalarByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "A") ... UInt8(ascii: "Z"),
             UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Whether a byte may be in a number: digits, signs, dots and exponents.
    @inline(__always)
    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == 0x2B || b == 0x2D || b == 0x2E || b == 0x65 || b == 0x45
    }

    private static func endScalar(_ s: inout Line) {
        let first = UInt8(truncatingIfNeeded: s.scalarBytes)
        // A literal is its eight first bytes (the rest of a longer scalar makes them differ).
        let valid = first == UInt8(ascii: "t") || first == UInt8(ascii: "f") || first == UInt8(ascii: "n")
            ? literals.contains(s.scalarBytes)
            : s.scalarIsNumber
        (s.scalarBytes, s.scalarCount) = (0, 0)
        if valid { afterValue(&s) } else { s.broken = true }
    }

    /// `true`, `false` and `null` as a scalar's first eight bytes read.
    private static let literals: [UInt64] = ["true", "false", "null"].map { word in
        word.utf8.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private mutating func appendKey(_ s: inout Line, _ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        let start = keyEnds.last ?? 0
        if keyBytes.count - start + n > Self.maxKeyLength {
            // An absurd key is not a column.
            s.collectingKey = false
            keyBytes.removeSubrange(start...)
            return
        }
        keyBytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    }

    private mutating func endKey(_ s: inout Line) {
        guard s.collectingKey else { return }
        s.collectingKey = false
        keyEnds.append(keyBytes.count)
    }

    private mutating func endLine(_ s: inout Line) {
        if s.scalarCount > 0 { Self.endScalar(&s) }
        if s.hasContent {
            if !s.broken, !s.inString, s.expect == .end, s.topIsObject {
                rows += 1
                if keysWanted, !keyEnds.isEmpty, keyBytes != previousKeyBytes || keyEnds != previousKeyEnds {
                    if seenKeySets.count >= Self.maxKeySets || seenKeySets.insert(keySetHash()).inserted { mergeKeys() }
                    swap(&keyBytes, &previousKeyBytes)
                    swap(&keyEnds, &previousKeyEnds)
                }
            } else {
                errors += 1
            }
        }
        s = Line()
        if !keyEnds.isEmpty || !keyBytes.isEmpty {
            keyBytes.removeAll(keepingCapacity: true)
            keyEnds.removeAll(keepingCapacity: true)
        }
    }

    /// A hash of the line's keys in order, so a key set seen on an earlier line (not only the
    /// one before) is not merged again.
    private func keySetHash() -> UInt64 {
        var hasher = Hasher()
        hasher.combine(keyBytes)
        hasher.combine(keyEnds)
        let h = hasher.finalize()
        return UInt64(bitPattern: Int64(h))
    }

    private mutating func mergeKeys() {
        var start = 0
        for end in keyEnds {
            let raw = keyBytes[start ..< end]
            start = end
            guard let key = raw.contains(0x5C) ? Self.unescape(raw) : String(validUTF8: raw) else { continue }
            if columnSet.insert(key).inserted {
                columns.append(key)
                if !keysWanted { return }
            }
        }
    }

    /// A key with escapes, decoded as JSON decodes it.
    private static func unescape(_ raw: ArraySlice<UInt8>) -> String? {
        let quoted = Data([0x22] + raw + [0x22])
        return try? JSONSerialization.jsonObject(with: quoted, options: .fragmentsAllowed) as? String
    }

    mutating func finish() -> TableProfile {
        var s = line
        if s.hasContent || s.broken { endLine(&s) }
        line = s
        return TableProfile(rows: rows, columns: columns, parseErrors: errors)
    }
}
