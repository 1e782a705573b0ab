import CLakeSys
import CXXHash
import Foundation
import LakeCore

/// A loose object's seal: the XXH3-64 of its bytes, kept beside them in the extended attribute
/// `user.lake.xxh3` (16 lowercase hex digits) of the object file (docs/format.md §3).
///
/// SHA-256 names an object; the seal only tells whether the bytes are still the bytes that
/// were named. XXH3 runs at memory speed, so a checkout checks every byte it copies without
/// paying for SHA-256 again, which costs more than the copy. A seal is written only by the
/// process that has just hashed the same bytes to the object's name (commit, restore, pull),
/// never taken from elsewhere. Where the filesystem keeps no user attributes, objects have no
/// seal and readers check them by name, as they always may.
public struct Seal: Equatable, Sendable {
    public static let attribute = "user.lake.xxh3"
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// The seal of bytes held in memory.
    public init(of bytes: UnsafeRawBufferPointer) {
        value = lake_xxh3_64(bytes.baseAddress, bytes.count)
    }

    var text: String { value.zeroPadded(16, radix: 16) }

    /// Attaches the seal to an open file. Where the filesystem keeps no user attributes (or
    /// refuses one), the object stays unsealed, not wrong: readers then check it by name.
    func attach(to fd: Int32) {
        #if os(Linux)
        _ = Array(text.utf8).withUnsafeBytes { fsetxattr(fd, Self.attribute, $0.baseAddress, $0.count, 0) }
        #endif
    }

    /// The seal attached to the file at `path`, or nil when it has none or it is not 16 hex digits.
    static func attached(to path: String) -> Seal? {
        #if os(Linux)
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { getxattr(path, attribute, $0.baseAddress, $0.count) }
        #else
        let (buffer, n) = ([UInt8](), 0)
        #endif
        guard n == 16, let value = UInt64(String(decoding: buffer, as: UTF8.self), radix: 16) else { return nil }
        return Seal(value)
    }

    /// XXH3-64 over bytes that arrive in chunks.
    struct Hasher: ~Copyable {
        private let state: OpaquePointer

        init() {
            guard let state = XXH3_createState(), XXH3_64bits_reset(state) == XXH_OK else {
                fatalError("libxxhash cannot allocate an XXH3 state")
            }
            self.state = state
        }

        deinit { XXH3_freeState(state) }

        mutating func update(_ chunk: UnsafeRawBufferPointer) {
            guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
            lake_xxh3_64_update(state, base, chunk.count)
        }

        func finalize() -> Seal { Seal(XXH3_64bits_digest(state)) }
    }
}
