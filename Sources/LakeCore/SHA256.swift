import CCrypto

/// Incremental SHA-256 over OpenSSL's libcrypto, which uses the CPU's SHA instructions.
///
/// Through libcrypto's SHA256_* calls, not EVP: the same code hashes the bytes, but EVP's first
/// use loads openssl.cnf and sets up the default provider, 2.5 ms of every command that hashes
/// anything (measured with `perf stat`). They are deprecated in OpenSSL 3 but not removed, so
/// shim.h silences the warning.
///
/// ```swift
/// var hasher = SHA256Hasher()
/// hasher.update(bytes)
/// let id = hasher.finalize()   // ObjectID
/// ```
public struct SHA256Hasher: ~Copyable {
    private var context = SHA256_CTX()

    public init() {
        SHA256_Init(&context)
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        SHA256_Update(&context, base, buffer.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Call once, after the last update.
    public mutating func finalize() -> ObjectID {
        // On the stack: a commit of many small files finalizes once per file.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            SHA256_Final(digest.baseAddress, &context)
            return ObjectID(digest: digest)
        }
    }

    /// The hash of one buffer.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> ObjectID {
        var hasher = SHA256Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    public static func hash(_ bytes: [UInt8]) -> ObjectID {
        bytes.withUnsafeBytes { hash($0) }
    }
}
