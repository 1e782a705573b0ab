import Foundation
@testable import LakeRetention
import LakeTestSupport
import Testing

/// The reader that follows a zstd file while another thread writes it (the archive check that
/// runs beside the writing in `SnapshotArchive.write`).
@Suite struct ZstdTests {
    /// Writes `data` compressed, a slice at a time with pauses, on another thread; returns the
    /// bytes a reader following the file decompressed, or its error. With `cutAfter`, the
    /// writer gives up after that many slices, before the end of the stream.
    func followWhileWriting(_ data: [UInt8], cutAfter: Int? = nil) throws -> Result<[UInt8], Error> {
        let dir = TempDirectory()
        let path = dir.at("a.zst")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        let written = WrittenLength()
        let writer = Thread {
            defer {
                close(fd)
                written.end()
            }
            // One worker: the frame comes out as the input goes in, so the reader often
            // catches up with the writer and has to wait.
            guard let zstd = try? ZstdWriter(fd: fd, path: path, level: 1, workers: 0, observe: { written.add($0.count) }) else { return }
            for (i, start) in stride(from: 0, to: data.count, by: 64 << 10).enumerated() {
                if i == cutAfter { return }
                data[start ..< min(start + (64 << 10), data.count)].withUnsafeBytes { try? zstd.write($0) }
                usleep(2_000)
            }
            try? zstd.finish()
        }
        writer.start()
        return Result {
            let reader = try ZstdReader(path: path, following: written)
            var out = [UInt8]()
            while let chunk = try reader.next() { out += chunk }
            return out
        }
    }

    @Test func aReaderFollowingTheWriterGetsEveryByte() throws {
        var random = SeededBytes(seed: 4)
        let data = [UInt8](random.next(1 << 20)) + [UInt8](repeating: 7, count: 1 << 20)
        #expect(try followWhileWriting(data).get() == data)
    }

    @Test func aWriterThatStopsShortIsATruncatedStream() throws {
        var random = SeededBytes(seed: 5)
        let result = try followWhileWriting([UInt8](random.next(1 << 20)), cutAfter: 6)
        #expect(throws: ArchiveError.self) { try result.get() }
    }
}
