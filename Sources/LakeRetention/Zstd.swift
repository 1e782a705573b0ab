import CZstd
import Foundation
import LakeCore
import LakeStore

/// Compresses a stream with libzstd (multi-threaded) into a file descriptor.
final class ZstdWriter {
    private let context: OpaquePointer
    private let fd: Int32
    private let path: String
    private var output: [UInt8]
    /// Called with every compressed chunk as it is written (the archive's hash).
    private let observe: (UnsafeRawBufferPointer) -> Void

    init(fd: Int32, path: String, level: Int32, workers: Int32, observe: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        guard let ctx = ZSTD_createCCtx() else { throw ArchiveError.compression("cannot create a zstd context") }
        context = ctx
        (self.fd, self.path, self.observe) = (fd, path, observe)
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level))
        // Workers are optional in libzstd builds; without them it compresses on this thread.
        _ = ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, workers)
        try check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1))
    }

    deinit { ZSTD_freeCCtx(context) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var input = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
        while input.pos < input.size {
            try drain { out in ZSTD_compressStream2(context, &out, &input, ZSTD_e_continue) }
        }
    }

    func finish() throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        var remaining = 1
        while remaining != 0 {
            remaining = try drain { out in ZSTD_compressStream2(context, &out, &input, ZSTD_e_end) }
        }
    }

    @discardableResult
    private func drain(_ step: (inout ZSTD_outBuffer) -> Int) throws -> Int {
        try output.withUnsafeMutableBytes { buffer in
            var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let result = step(&out)
            try check(result)
            let chunk = UnsafeRawBufferPointer(start: buffer.baseAddress, count: out.pos)
            try FileIO.writeAll(fd, chunk, path: path)
            observe(chunk)
            return result
        }
    }

    private func check(_ code: Int) throws {
        if ZSTD_isError(code) != 0 { throw ArchiveError.compression(String(cString: ZSTD_getErrorName(code))) }
    }
}

/// How much of a file one thread has written so far, for another that reads it meanwhile
/// (`ZstdReader(path:following:)`): the reader waits for more instead of taking the current
/// end for the file's end, until the writer calls `end()`.
final class WrittenLength: @unchecked Sendable {
    private let condition = NSCondition()
    private var length = 0
    private var ended = false

    func add(_ count: Int) {
        condition.lock()
        length += count
        condition.broadcast()
        condition.unlock()
    }

    /// The writer has written all it will, or has given up.
    func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until more than `offset` bytes are written (true) or the writer ended (false
    /// when it wrote no more).
    func wait(beyond offset: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while length <= offset, !ended { condition.wait() }
        return length > offset
    }
}

/// Decompresses a zstd file as a stream of chunks of about 1 MiB. The decompression runs on a
/// thread of its own, a few chunks ahead of the reader, so that on two cores the reader's
/// hashing and storing overlap it, as `tar --zstd -xf` overlaps zstd and tar.
final class ZstdReader {
    private let pump: Pump

    /// Opens `path`; the file is closed when the reader is released. With `following`, the
    /// file is still being written, and its end is where that says the writer ended.
    init(path: String, following: WrittenLength? = nil) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        guard let context = ZSTD_createDCtx() else {
            close(fd)
            throw ArchiveError.compression("cannot create a zstd context")
        }
        pump = Pump(context: context, fd: fd, path: path, following: following)
        let pump = self.pump
        let thread = Thread { pump.run() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the decompression and waits for its thread, which closes the file.
    deinit { pump.stop() }

    /// The next decompressed chunk, or nil at the end. A stream cut short is an error.
    func next() throws -> [UInt8]? { try pump.take() }
}

/// The decompressing thread's state, and the chunks it has made that the reader has not taken.
private final class Pump: @unchecked Sendable {
    static let depth = 4
    static let chunkSize = 1 << 20

    private let context: OpaquePointer
    private let fd: Int32
    private let path: String
    private let following: WrittenLength?
    private var input: [UInt8]
    private var inputFilled = 0
    private var inputPos = 0
    /// Bytes read from the file so far.
    private var offset = 0
    private var finishedFrame = true
    private var eof = false

    private let condition = NSCondition()
    /// Made and not yet taken; a last nil or error stays, so every later take sees it too.
    private var chunks: [Result<[UInt8]?, Error>] = []
    private var stopping = false
    private var finished = false

    init(context: OpaquePointer, fd: Int32, path: String, following: WrittenLength?) {
        (self.context, self.fd, self.path, self.following) = (context, fd, path, following)
        input = [UInt8](repeating: 0, count: ZSTD_DStreamInSize())
    }

    func run() {
        defer {
            ZSTD_freeDCtx(context)
            close(fd)
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            let result = Result { try decode() }
            condition.lock()
            while chunks.count >= Self.depth, !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            chunks.append(result)
            condition.broadcast()
            condition.unlock()
            if case .success(.some) = result { continue }
            return
        }
    }

    func take() throws -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty { condition.wait() }
        let result = chunks[0]
        if case .success(.some) = result {
            chunks.removeFirst()
            condition.broadcast()
        }
        return try result.get()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// About `chunkSize` decompressed bytes; nil at the end of the stream.
    private func decode() throws -> [UInt8]? {
        // Not zeroed first (that was 5% of this thread, the one a restore waits for): the
        // array holds only what zstd wrote.
        let output = try [UInt8](unsafeUninitializedCapacity: Self.chunkSize) { buffer, produced in
            produced = 0
            while produced < buffer.count {
                if inputPos == inputFilled, !eof {
                    let n = input.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if n < 0 { throw SystemError("read", path: path) }
                    if n == 0 {
                        if following?.wait(beyond: offset) == true { continue }
                        eof = true
                    } else {
                        (inputFilled, inputPos) = (n, 0)
                        offset += n
                    }
                }
                if eof, inputPos == inputFilled {
                    guard finishedFrame else { throw ArchiveError.truncated(path: path, entry: nil) }
                    break
                }
                var outb = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: produced)
                let result = input.withUnsafeBytes { inBuf in
                    var inb = ZSTD_inBuffer(src: inBuf.baseAddress, size: inputFilled, pos: inputPos)
                    defer { inputPos = inb.pos }
                    return ZSTD_decompressStream(context, &outb, &inb)
                }
                produced = outb.pos
                if ZSTD_isError(result) != 0 {
                    throw ArchiveError.corrupt(path: path, entry: nil, problem: "zstd: \(String(cString: ZSTD_getErrorName(result)))")
                }
                finishedFrame = result == 0
            }
        }
        return output.isEmpty ? nil : output
    }
}
