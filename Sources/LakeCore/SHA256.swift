import CCrypto

/// Incremental SHA-256 over OpenSSL's libcrypto, which uses the CPU's SHA instructions.
///
/// ```swift
/// var hasher = SHA256Hasher()
/// hasher.update(bytes)
/// let id = hasher.finalize()   // ObjectID
/// ```
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, SHA256Hasher.algorithm, nil) == 1 else {
            fatalError("libcrypto cannot initialise SHA-256")
        }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Fetched once: an implicit fetch on every init costs more than hashing a small file.
    nonisolated(unsafe) private static let algorithm: OpaquePointer = EVP_MD_fetch(nil, "SHA256", nil)

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        EVP_DigestUpdate(context, base, buffer.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Call once, after the last update.
    public mutating func finalize() -> ObjectID {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return ObjectID(digest: digest)
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
