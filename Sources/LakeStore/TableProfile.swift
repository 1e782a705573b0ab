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
    private let scanner: any RecordScanner
    /// The compressed stream failed: later bytes are not scanned.
    private var streamFailed = false

    /// The profiler for a file name, or nil for files that are not tables.
    public init?(fileName: String) {
        guard let (format, compression) = TableFormat.of(fileName: fileName) else { return nil }
        decompressor = try? compression.map(StreamDecompressor.init)
        scanner = format == .jsonLines ? JSONLinesScanner() : DelimitedScanner(tabs: format == .tsv)
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
        if let base = bytes.baseAddress, !bytes.isEmpty { scanner.scan(base, bytes.count) }
    }

    /// The profile, once every byte went through `update`.
    public func finish() -> TableProfile {
        if !streamFailed, let decompressor, (try? decompressor.finish()) == nil { streamFailed = true }
        var profile = scanner.finish()
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

/// Reads the records of one format from decompressed chunks.
private protocol RecordScanner: AnyObject {
    func scan(_ base: UnsafeRawPointer, _ count: Int)
    func finish() -> TableProfile
}

/// Whether a byte is a space, tab or carriage return: what a blank line may hold.
@inline(__always)
private func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

/// CSV (RFC 4180: a newline or delimiter inside double quotes belongs to the field) and TSV
/// (no quoting: a tab always separates, a newline always ends). The first non-blank record
/// is the header; blank lines are skipped.
final class DelimitedScanner: RecordScanner {
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

    func scan(_ base: UnsafeRawPointer, _ count: Int) {
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < count {
            let b = p[i]
            if headerFields == nil, header.count < Self.headerCap { header.append(b) }
            if inQuotes {
                if b == 0x22 { inQuotes = false }
            } else if b == 0x0A {
                endRecord()
            } else if b == delimiter {
                fields += 1
                recordHasContent = true
            } else if b == 0x22, quotes {
                inQuotes = true
                recordHasContent = true
            } else if !isBlank(b) {
                recordHasContent = true
            }
            i += 1
        }
    }

    private func endRecord() {
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

    func finish() -> TableProfile {
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
/// number is any run of digits, signs, `.`, `e` and `E`. It keeps no line in memory, only the
/// nesting of the current one.
final class JSONLinesScanner: RecordScanner {
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

    private var rows: Int64 = 0
    private var errors: Int64 = 0
    private var expect = Expect.value
    /// Open containers, innermost last: true for an object.
    private var stack = [Bool]()
    private var lineHasContent = false
    private var broken = false
    private var topIsObject = false
    private var inString = false
    private var escaped = false
    private var stringIsKey = false
    /// The scalar being read: its first bytes and length.
    private var scalar: (bytes: UInt64, count: Int)?
    private static let maxDepth = 1000

    // Columns: the union of top-level keys. A line's keys are hashed together; only a line
    // whose key set was not seen before has its keys merged, so the common case (every line
    // with the same keys) costs a hash per line.
    private var keyBytes = [UInt8]()
    private var keyEnds = [Int]()
    private var keyHash: UInt64 = 0xcbf2_9ce4_8422_2325
    private var seenKeySets = Set<UInt64>()
    private var columns = [String]()
    private var columnSet = Set<String>()
    private var collectingKey = false
    private static let maxKeyLength = 4096
    private static let maxKeySets = 1 << 16

    private var keysWanted: Bool { columns.count < TableProfile.maxColumns }

    func scan(_ base: UnsafeRawPointer, _ count: Int) {
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < count {
            if broken {
                // Skip to the line's end.
                guard let nl = memchr(p + i, 0x0A, count - i) else { return }
                i = UnsafeRawPointer(nl) - base
                endLine()
                i += 1
                continue
            }
            if inString {
                i = scanString(p, i, count)
                continue
            }
            let b = p[i]
            if scalar != nil {
                if Self.isScalarByte(b) {
                    extendScalar(b)
                    i += 1
                    continue
                }
                endScalar()
                if broken { continue }
            }
            if b == 0x0A {
                endLine()
            } else if !isBlank(b) {
                lineHasContent = true
                structural(b)
            }
            i += 1
        }
    }

    /// Reads string bytes from `i`; returns where to go on.
    private func scanString(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Int {
        var i = start
        if escaped {
            escaped = false
            if collectingKey { keyBytes.append(p[i]) }
            return i + 1
        }
        while i < count {
            let b = p[i]
            if b == 0x22 || b == 0x5C || b == 0x0A { break }
            i += 1
        }
        if collectingKey { appendKey(p + start, i - start) }
        guard i < count else { return i }
        switch p[i] {
        case 0x22:
            inString = false
            if stringIsKey { endKey() }
            afterValueOrKey()
            return i + 1
        case 0x5C:
            escaped = true
            if collectingKey { keyBytes.append(0x5C) }
            return i + 1
        default:
            // A raw newline: the line ends inside a string.
            broken = true
            return i
        }
    }

    private func structural(_ b: UInt8) {
        switch (b, expect) {
        case (0x7B, .value), (0x7B, .valueOrClose):
            open(object: true)
        case (0x5B, .value), (0x5B, .valueOrClose):
            open(object: false)
        case (0x7D, .keyOrClose), (0x7D, .commaOrClose) where stack.last == true:
            close()
        case (0x5D, .valueOrClose), (0x5D, .commaOrClose) where stack.last == false:
            close()
        case (0x2C, .commaOrClose):
            expect = stack.last == true ? .key : .value
        case (0x3A, .colon):
            expect = .value
        case (0x22, .keyOrClose), (0x22, .key):
            inString = true
            stringIsKey = true
            collectingKey = stack.count == 1 && keysWanted
        case (0x22, .value), (0x22, .valueOrClose):
            inString = true
            stringIsKey = false
            collectingKey = false
        case (_, .value), (_, .valueOrClose):
            if Self.isScalarByte(b) {
                scalar = (0, 0)
                extendScalar(b)
            } else {
                broken = true
            }
        default:
            broken = true
        }
    }

    private func open(object: Bool) {
        if stack.isEmpty { topIsObject = object }
        guard stack.count < Self.maxDepth else { broken = true; return }
        stack.append(object)
        expect = object ? .keyOrClose : .valueOrClose
    }

    private func close() {
        stack.removeLast()
        afterValue()
    }

    private func afterValue() {
        expect = stack.isEmpty ? .end : .commaOrClose
    }

    private func afterValueOrKey() {
        if stringIsKey { expect = .colon } else { afterValue() }
    }

    private static func isScalarByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "A") ... UInt8(ascii: "Z"),
             UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    private func extendScalar(_ b: UInt8) {
        guard var s = scalar else { return }
        if s.count < 8 { s.bytes |= UInt64(b) << (8 * UInt64(s.count)) }
        s.count += 1
        scalar = s
    }

    private func endScalar() {
        guard let s = scalar else { return }
        scalar = nil
        let first = UInt8(truncatingIfNeeded: s.bytes)
        if first == UInt8(ascii: "t") || first == UInt8(ascii: "f") || first == UInt8(ascii: "n") {
            if !(Self.literals.contains { $0 == (s.bytes, s.count) }) { broken = true; return }
        } else {
            // A number: digits, signs, dots and exponents only.
            var bytes = s.bytes
            for _ in 0 ..< min(s.count, 8) {
                let c = UInt8(truncatingIfNeeded: bytes)
                bytes >>= 8
                let ok = (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2D || c == 0x2E || c == 0x65 || c == 0x45
                if !ok { broken = true; return }
            }
        }
        afterValue()
    }

    private static let literals: [(UInt64, Int)] = ["true", "false", "null"].map { word in
        (word.utf8.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }, word.utf8.count)
    }

    private func appendKey(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        let start = keyEnds.last ?? 0
        if keyBytes.count - start + n > Self.maxKeyLength {
            // An absurd key is not a column.
            collectingKey = false
            keyBytes.removeSubrange(start...)
            return
        }
        keyBytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    }

    private func endKey() {
        guard collectingKey else { return }
        collectingKey = false
        let start = keyEnds.last ?? 0
        for b in keyBytes[start...] { keyHash = (keyHash ^ UInt64(b)) &* 0x100_0000_01b3 }
        keyHash = (keyHash ^ 0xFF) &* 0x100_0000_01b3
        keyEnds.append(keyBytes.count)
    }

    private func endLine() {
        defer {
            (expect, lineHasContent, broken, topIsObject, inString, escaped, scalar) = (.value, false, false, false, false, false, nil)
            stack.removeAll(keepingCapacity: true)
            keyBytes.removeAll(keepingCapacity: true)
            keyEnds.removeAll(keepingCapacity: true)
            keyHash = 0xcbf2_9ce4_8422_2325
            collectingKey = false
        }
        if scalar != nil { endScalar() }
        guard lineHasContent else { return }
        guard !broken, !inString, expect == .end, topIsObject else {
            errors += 1
            return
        }
        rows += 1
        if keysWanted, !keyEnds.isEmpty, seenKeySets.count >= Self.maxKeySets || seenKeySets.insert(keyHash).inserted {
            mergeKeys()
        }
    }

    private func mergeKeys() {
        var start = 0
        for end in keyEnds {
            let raw = keyBytes[start ..< end]
            start = end
            guard let key = raw.contains(0x5C) ? Self.unescape(raw) : String(validating: raw, as: UTF8.self) else { continue }
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

    func finish() -> TableProfile {
        if lineHasContent || broken { endLine() }
        return TableProfile(rows: rows, columns: columns, parseErrors: errors)
    }
}
