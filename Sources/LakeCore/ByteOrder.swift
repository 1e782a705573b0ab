import Foundation

extension String {
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
