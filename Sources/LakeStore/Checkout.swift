import CLakeSys
import Foundation
import LakeCore

/// How a checkout places loose (large) objects.
public enum CheckoutMode: String, Sendable, Codable {
    /// Reflink where the filesystem can, else copy; every byte is checked, against the object's
    /// seal where it has one, else against its name.
    case copy
    /// Hard-link the store's read-only object files (executables are copied, so their mode
    /// holds). Linked bytes are not re-read: `lake fsck` verifies them.
    case link
}

/// What a checkout wrote.
public struct CheckoutReport: Sendable, Codable, Equatable {
    public var directory: String
    public var files: Int
    public var bytes: UInt64
    public var linked: Int
    public var reflinked: Int
}

/// Materializes a manifest as a directory tree.
public enum Checkout {
    /// Writes `manifest` into `destination`, which must not exist or be empty. The tree is built
    /// beside it under a temporary name and renamed into place, so a failed or interrupted
    /// checkout leaves no partial tree at `destination`.
    /// `progress` gets (files written, files in all) from worker threads.
    public static func run(_ manifest: Manifest, store: ObjectStore, into destination: String, mode: CheckoutMode,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> CheckoutReport {
        let dest = URL(fileURLWithPath: destination).standardizedFileURL.path
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dest, isDirectory: &isDir) {
            guard isDir.boolValue, (try fm.contentsOfDirectory(atPath: dest)).isEmpty else {
                throw StoreError.checkoutDestinationNotEmpty(destination)
            }
        }
        let parent = FileIO.parent(dest)
        try FileIO.makeDirectories(parent)
        let staging = parent + "/." + FileIO.baseName(dest) + "." + FileIO.uniqueName("lake-checkout")
        try FileIO.makeDirectories(staging)
        do {
            try store.fetch(manifest.entries.map(\.object))
            var dirs = Set<String>()
            for e in manifest.entries {
                var dir = FileIO.parent(e.path)
                while !dir.isEmpty, dirs.insert(dir).inserted { dir = FileIO.parent(dir) }
            }
            for dir in dirs.sorted(by: { $0.count < $1.count }) { try FileIO.makeDirectories(staging + "/" + dir) }
            let report = try write(manifest.entries, store: store, into: staging, mode: mode, progress: progress)
            // rmdir, never a recursive remove: a file someone put there meanwhile stays.
            if fm.fileExists(atPath: dest), rmdir(dest) != 0 {
                throw errno == ENOTEMPTY || errno == EEXIST ? StoreError.checkoutDestinationNotEmpty(destination) : SystemError("replace", path: dest)
            }
            try FileIO.rename(staging, dest)
            return CheckoutReport(directory: dest, files: manifest.entries.count, bytes: manifest.totalBytes,
                                  linked: report.linked, reflinked: report.reflinked)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    private final class Progress: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var linked = 0
        var reflinked = 0
        var error: Error?
    }

    private static func write(_ entries: [ManifestEntry], store: ObjectStore, into root: String, mode: CheckoutMode,
                              progress: (@Sendable (Int, Int) -> Void)?) throws -> (linked: Int, reflinked: Int) {
        let notify = progress
        let progress = Progress()
        let order = largeFirst(entries)
        DispatchQueue.concurrentPerform(iterations: Environment.cores) { _ in
            while true {
                progress.lock.lock()
                guard progress.error == nil, progress.next < entries.count else { progress.lock.unlock(); return }
                let e = entries[order[progress.next]]
                progress.next += 1
                let done = progress.next
                progress.lock.unlock()
                if done % 256 == 0 || done == entries.count { notify?(done, entries.count) }
                do {
                    let how = try place(e, store: store, at: root + "/" + e.path, mode: mode)
                    progress.lock.lock()
                    if how == .linked { progress.linked += 1 }
                    if how == .reflinked { progress.reflinked += 1 }
                    progress.lock.unlock()
                } catch {
                    progress.lock.lock()
                    if progress.error == nil { progress.error = error }
                    progress.lock.unlock()
                }
            }
        }
        if let error = progress.error { throw error }
        return (progress.linked, progress.reflinked)
    }

    /// The order to write entries in: files of a loose object's size or more first, largest
    /// first, then the rest in manifest order. A file is copied by one thread, so the files
    /// left for the end should be small ones; small files keep the order of their directories.
    static func largeFirst(_ entries: [ManifestEntry]) -> [Int] {
        let threshold = UInt64(ObjectStore.looseThreshold)
        let large = entries.indices.filter { entries[$0].size >= threshold }
            .sorted { entries[$0].size != entries[$1].size ? entries[$0].size > entries[$1].size : $0 < $1 }
        return large + entries.indices.filter { entries[$0].size < threshold }
    }

    private enum Placement { case written, linked, reflinked }

    private static func place(_ e: ManifestEntry, store: ObjectStore, at path: String, mode: CheckoutMode) throws -> Placement {
        if e.isSymlink {
            let target = String(decoding: try store.bytes(of: e.object), as: UTF8.self)
            guard symlink(target, path) == 0 else { throw SystemError("create link", path: path) }
            return .written
        }
        let location = try store.locate(e.object)
        if mode == .link, !e.isExecutable, case .loose(let objectPath) = location {
            guard link(objectPath, path) == 0 else { throw SystemError("link", path: path) }
            return .linked
        }
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: e.isExecutable ? 0o755 : 0o644)
        defer { close(fd) }
        if case .loose(let objectPath) = location {
            let src = try FileIO.open(objectPath, O_RDONLY)
            defer { close(src) }
            if lake_reflink(src, fd) == 0 {
                try store.check(e.object)
                return .reflinked
            }
        }
        try store.readSealed(e.object, restart: {
            guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw SystemError("rewrite", path: path) }
        }) { try FileIO.writeAll(fd, $0, path: path) }
        return .written
    }
}
