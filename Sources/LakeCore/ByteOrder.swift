import Foundation

extension String {
    /// The string `bytes` spell, or nil when they are not valid UTF-8.
    ///
    /// `String(validating:as:)` checks through the generic Unicode decoder, unspecialized:
    /// 1,200 instructions for a 50-byte path, which a tree of 55,000 files pays 55,000 times.
    /// Decoding takes the standard library's fast UTF-8 check and replaces any ill-formed
    /// sequence with U+FFFD, which changes the bytes: equal bytes mean valid input.
    @inlinable
    public init?<Bytes: Collection>(validUTF8 bytes: Bytes) where Bytes.Element == UInt8 {
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.count == bytes.count else { return nil }
        let same = bytes.withContiguousStorageIfAvailable { b in
            decoded.utf8.withContiguousStorageIfAvailable { d in b.isEmpty || memcmp(b.baseAddress!, d.baseAddress!, b.count) == 0 }
        }
        guard (same ?? nil) ?? decoded.utf8.elementsEqual(bytes) else { return nil }
        self = decoded
    }

    /// Orders strings by their UTF-8 bytes: the order of manifest entries and of SQLite's BINARY
    /// collation (Swift's own `<` compares Unicode scalars after normalisation).
    public static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb -> Bool in
                guard let x = pa.baseAddress, let y = pb.baseAddress else { return pa.count < pb.count }
                let n = memcmp(x, y, Swift.min(pa.count, pb.count))
                return n != 0 ? n < 0 : pa.count < pb.count
            }
        }
        if let fast = fast ?? nil { return fast }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
