import Foundation
import LakeCore

/// Thin, throwing wrappers over the POSIX calls Lake makes, each naming its path.
public enum FileIO {
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        return fd
    }

    /// Writes all of `buffer` at the file's offset.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            done += n
        }
    }

    /// Reads up to `count` bytes at `offset`, retrying short reads; returns bytes read.
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: UInt64, path: String) throws -> Int {
        var done = 0
        while done < count {
            let n = Glibc.pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path: path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes from the file's offset, retrying short reads. With `expecting`,
    /// it stops once that many bytes came, saving the read that would return end-of-file.
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, path: String, expecting: Int? = nil) throws -> Int {
        var done = 0
        while done < count, done != expecting {
            let n = Glibc.read(fd, buffer + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path: path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// A whole file's bytes, or nil when it cannot be opened or read. For the small files a
    /// command reads at every start (FORMAT, the stat cache): `FileManager.contents(atPath:)`
    /// goes through URL and costs more than the read.
    public static func contents(of path: String) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return try? [UInt8](unsafeUninitializedCapacity: Int(st.st_size)) { buffer, count in
            guard let base = buffer.baseAddress else { return }
            count = try read(fd, base, buffer.count, path: path, expecting: buffer.count)
        }
    }

    public static func lstat(_ path: String) -> stat? {
        var st = stat()
        return Glibc.lstat(path, &st) == 0 ? st : nil
    }

    /// The directory part of a slash-separated path: "" for a bare name, "/" for "/x".
    /// (Foundation's `deletingLastPathComponent` traps on some one-character names.)
    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The path with every symbolic link, `.` and `..` resolved (`realpath(3)`); nil, with
    /// `errno` set, when it does not resolve.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The last component of a slash-separated path.
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if Glibc.mkdir(path, mode) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw SystemError("create directory", path: path) }
        let parent = Self.parent(path)
        guard !parent.isEmpty, parent != path else { throw SystemError("create directory", path: path) }
        try makeDirectories(parent, mode: mode)
        guard Glibc.mkdir(path, mode) == 0 || errno == EEXIST else { throw SystemError("create directory", path: path) }
    }

    /// Makes a file's data durable (`fdatasync`), or a directory's, so that the names created
    /// or renamed in it survive a power loss (`fsync`).
    public static func sync(_ path: String, directory: Bool = false) throws {
        let fd = try open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        defer { close(fd) }
        guard (directory ? fsync(fd) : fdatasync(fd)) == 0 else { throw SystemError("sync", path: path) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw SystemError("rename \(from) to", path: to) }
    }

    /// A name unique to this process and call, for staging files in `tmp/`.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(getpid())-\(UInt64.random(in: 0 ... .max) & 0xFFFF_FFFF_FFFF)"
    }
}
