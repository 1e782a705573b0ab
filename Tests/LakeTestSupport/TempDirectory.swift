import Foundation

/// A fresh directory under the system's temp directory, removed when released.
public final class TempDirectory {
    public let path: String

    public init(_ label: String = "lake-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Readable by other users, so tests that drop privileges can reach it.
        chmod(path, 0o755)
    }

    deinit {
        Self.makeWritable(path)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path + "/" + relative`.
    public func at(_ relative: String) -> String { path + "/" + relative }

    /// Writes `text` at `relative`, making directories as needed.
    @discardableResult
    public func write(_ relative: String, _ text: String, mode: Int = 0o644) -> String {
        write(relative, Data(text.utf8), mode: mode)
    }

    @discardableResult
    public func write(_ relative: String, _ data: Data, mode: Int = 0o644) -> String {
        let full = at(relative)
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! data.write(to: URL(fileURLWithPath: full))
        chmod(full, mode_t(mode))
        return full
    }

    public func read(_ relative: String) -> String? {
        try? String(contentsOfFile: at(relative), encoding: .utf8)
    }

    /// Makes a tree writable again (objects are stored read-only) so it can be removed.
    static func makeWritable(_ path: String) {
        guard let items = FileManager.default.enumerator(atPath: path) else { return }
        chmod(path, 0o755)
        for case let item as String in items {
            let full = path + "/" + item
            var st = stat()
            if lstat(full, &st) == 0, st.st_mode & S_IFMT != S_IFLNK { chmod(full, st.st_mode & S_IFMT == S_IFDIR ? 0o755 : 0o644) }
        }
    }
}

/// Deterministic pseudo-random bytes, so generated test trees are the same on every run.
public struct SeededBytes {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// `count` bytes, made eight at a time (tests build megabytes of them in debug builds).
    public mutating func next(_ count: Int) -> Data {
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for i in words.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[i] = state ^ (state >> 29)
        }
        return words.withUnsafeBytes { Data($0.prefix(count)) }
    }
}
