/// The name of an object: the SHA-256 of its bytes, written `sha256:<64 hex digits>`.
///
/// Stored as four big-endian words so that it hashes and compares without allocation.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let w0, w1, w2, w3: UInt64

    /// The prefix every written object ID carries.
    public static let scheme = "sha256:"

    /// From the 32 digest bytes, in any collection: stores and caches read IDs from slices of
    /// what they loaded, without an array per ID. Inlinable, so it is specialized for each.
    @inlinable
    public init<Digest: Collection>(digest: Digest) where Digest.Element == UInt8 {
        precondition(digest.count == 32, "a SHA-256 digest has 32 bytes")
        if let words = digest.withContiguousStorageIfAvailable({ bytes in
            let raw = UnsafeRawPointer(bytes.baseAddress!)
            func word(_ offset: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            return (word(0), word(8), word(16), word(24))
        }) {
            (w0, w1, w2, w3) = words
            return
        }
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0)), n = 0
        for byte in digest {
            switch n >> 3 {
            case 0: words.0 = words.0 << 8 | UInt64(byte)
            case 1: words.1 = words.1 << 8 | UInt64(byte)
            case 2: words.2 = words.2 << 8 | UInt64(byte)
            default: words.3 = words.3 << 8 | UInt64(byte)
            }
            n += 1
        }
        (w0, w1, w2, w3) = words
    }

    /// Parses `sha256:<hex>` or bare 64-digit lowercase hex.
    ///
    /// ```swift
    /// let id = try ObjectID(parsing: "sha256:e3b0c442…")
    /// ```
    public init(parsing text: String) throws {
        // Over the string's contiguous UTF-8: walking a String.UTF8View took 4,000 instructions
        // an ID, and the catalog parses one per file row it reads.
        var utf8 = text
        let id = utf8.withUTF8 { bytes in
            let scheme = Self.scheme.utf8
            let hex = bytes.starts(with: scheme) ? UnsafeBufferPointer(rebasing: bytes.dropFirst(scheme.count)) : bytes
            return ObjectID(hexDigits: hex)
        }
        guard let id else { throw CoreError.invalidObjectID(text) }
        self = id
    }

    /// Parses exactly 64 lowercase hex digits, without making a String (manifests hold one
    /// per file). Inlinable, so callers get it specialized for their collection.
    @inlinable
    public init?<Digits: Collection>(hexDigits: Digits) where Digits.Element == UInt8 {
        guard hexDigits.count == 64 else { return nil }
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var word: UInt64 = 0, n = 0
        for c in hexDigits {
            switch c {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): word = word << 4 | UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): word = word << 4 | UInt64(c - UInt8(ascii: "a") + 10)
            default: return nil
            }
            n += 1
            switch n {
            case 16: words.0 = word
            case 32: words.1 = word
            case 48: words.2 = word
            case 64: words.3 = word
            default: continue
            }
            word = 0
        }
        (w0, w1, w2, w3) = words
    }

    /// The 32 digest bytes.
    public var digest: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            func word(_ w: UInt64, at offset: Int) {
                for k in 0 ..< 8 { buffer[offset + k] = UInt8(truncatingIfNeeded: w >> UInt64(56 - 8 * k)) }
            }
            word(w0, at: 0)
            word(w1, at: 8)
            word(w2, at: 16)
            word(w3, at: 24)
            count = 32
        }
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            writeHex(to: buffer.baseAddress!)
            return 64
        }
    }

    /// `sha256:<hex>`, made once per file of every snapshot catalogued.
    public var description: String {
        let scheme = Self.scheme.utf8
        return String(unsafeUninitializedCapacity: scheme.count + 64) { buffer in
            _ = buffer.initialize(from: scheme)
            writeHex(to: buffer.baseAddress! + scheme.count)
            return scheme.count + 64
        }
    }

    /// Writes the 64 hex digits at `digits`: a manifest line takes them in place.
    public func writeHex(to digits: UnsafeMutablePointer<UInt8>) {
        func word(_ w: UInt64, at offset: Int) {
            for k in 0 ..< 16 { digits[offset + k] = Hex.digit(UInt8(truncatingIfNeeded: w >> UInt64(60 - 4 * k)) & 0xF) }
        }
        word(w0, at: 0)
        word(w1, at: 16)
        word(w2, at: 32)
        word(w3, at: 48)
    }

    /// The first 12 hex digits, for display.
    public var short: String { String(hex.prefix(12)) }

    /// Whether `text` is all lowercase hex digits (an ID or a prefix of one).
    public static func isHexDigits(_ text: String) -> Bool { Hex.isHex(Substring(text)) }

    public static func < (a: ObjectID, b: ObjectID) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}

/// The ID of a snapshot: the object ID of its manifest (see `Manifest`).
public struct SnapshotID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let object: ObjectID

    public init(_ object: ObjectID) { self.object = object }

    public init(parsing text: String) throws { object = try ObjectID(parsing: text) }

    public var description: String { object.description }
    public var short: String { object.short }
    public var hex: String { object.hex }

    public static func < (a: SnapshotID, b: SnapshotID) -> Bool { a.object < b.object }
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0xF)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    static func isHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { nibble($0) != nil }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
