import CZlib
import CZstd
import Foundation

/// The compressions a tabular file may come in, named by the last extension of its name.
public enum Compression: Sendable, Equatable {
    case gzip, zstd

    /// `.gz` or `.zst` (any case); nil for anything else.
    init?(extension ext: String) {
        switch ext {
        case "gz": self = .gzip
        case "zst": self = .zstd
        default: return nil
        }
    }
}

/// Decompresses a stream pushed to it chunk by chunk (the chunks a commit reads to hash a
/// file), handing each decompressed chunk to a sink. Memory is two fixed buffers, whatever
/// the stream's size. Concatenated gzip members and zstd frames are read one after another,
/// as `gzip -d` and `zstd -d` do.
public final class StreamDecompressor {
    public enum Failure: Error, Equatable {
        /// The bytes are not a valid stream of this compression.
        case corrupt(String)
        /// The stream ended inside a member or frame.
        case truncated
    }

    private enum Codec {
        case gzip(UnsafeMutablePointer<z_stream>)
        case zstd(OpaquePointer)
    }

    private let codec: Codec
    private let output: UnsafeMutableRawBufferPointer
    /// Whether the last byte fed ended a member or frame (or nothing was fed yet).
    private var atBoundary = true

    public init(_ compression: Compression) throws {
        switch compression {
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 15 + 16: a gzip wrapper, the largest window.
            guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw Failure.corrupt("cannot start zlib")
            }
            codec = .gzip(stream)
            output = .allocate(byteCount: 256 << 10, alignment: 64)
        case .zstd:
            guard let context = ZSTD_createDCtx() else { throw Failure.corrupt("cannot start zstd") }
            codec = .zstd(context)
            output = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 64)
        }
    }

    deinit {
        switch codec {
        case .gzip(let stream):
            inflateEnd(stream)
            stream.deallocate()
        case .zstd(let context):
            ZSTD_freeDCtx(context)
        }
        output.deallocate()
    }

    /// Decompresses `bytes`, calling `sink` with every decompressed chunk.
    public func feed(_ bytes: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        switch codec {
        case .gzip(let stream): try inflate(stream, base, bytes.count, sink)
        case .zstd(let context): try decompress(context, base, bytes.count, sink)
        }
    }

    /// Checks that the stream ended where a member or frame ends.
    public func finish() throws {
        if !atBoundary { throw Failure.truncated }
    }

    private func inflate(_ stream: UnsafeMutablePointer<z_stream>, _ base: UnsafeRawPointer, _ count: Int,
                         _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(count)
        while stream.pointee.avail_in > 0 {
            if atBoundary {
                // A new member starts: gzip files may be several members back to back.
                inflateReset(stream)
                atBoundary = false
            }
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let code = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0 ..< produced])) }
            switch code {
            case Z_STREAM_END: atBoundary = true
            case Z_OK, Z_BUF_ERROR: continue
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(code)"
                throw Failure.corrupt("gzip: \(message)")
            }
        }
    }

    private func decompress(_ context: OpaquePointer, _ base: UnsafeRawPointer, _ count: Int,
                            _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = ZSTD_inBuffer(src: base, size: count, pos: 0)
        // Until the input is used up, and then until zstd has nothing more to flush.
        var flushing = true
        while input.pos < input.size || flushing {
            var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let result = ZSTD_decompressStream(context, &out, &input)
            if ZSTD_isError(result) != 0 { throw Failure.corrupt("zstd: \(String(cString: ZSTD_getErrorName(result)))") }
            atBoundary = result == 0
            if out.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0 ..< out.pos])) }
            flushing = out.pos == out.size
        }
    }
}
