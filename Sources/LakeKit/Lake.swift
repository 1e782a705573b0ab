import Foundation
import LakeCatalog
import LakeCore
import LakeStore

/// One lake: the `.lake/` directory with its object store and catalog.
///
/// ```swift
/// let lake = try Lake.open(try Lake.locate(explicit: nil))
/// let result = try lake.commit(path: "runs/passX_20261121", dataset: try DatasetName("runs/passX"))
/// ```
public final class Lake {
    /// The `.lake` directory.
    public let directory: String
    public let store: ObjectStore
    public let catalog: Catalog
    let writerLock: LakeLock

    private init(directory: String) throws {
        self.directory = directory
        try LakeFormat.check(directory)
        store = ObjectStore(root: directory)
        let catalogPath = directory + "/catalog.sqlite"
        guard FileManager.default.fileExists(atPath: catalogPath) else { throw LakeError.catalogMissing(catalogPath) }
        catalog = try Catalog(lakeDirectory: directory, store: store)
        writerLock = .writer(directory)
        // A writer that died between its journal append and its commit left a change that the
        // journal holds and the catalog does not: apply it now (when no writer is running and
        // the lake is writable), so every command sees the same lake.
        if try catalog.hasPendingJournal() {
            _ = try? writerLock.ifFree { try catalog.applyPendingJournal() }
        }
    }

    /// Opens the lake in `directory` (a `.lake` directory).
    public static func open(_ directory: String) throws -> Lake {
        try Lake(directory: directory)
    }

    /// Creates `.lake/` inside `parent` (made if missing). The directory is built under a
    /// temporary name and renamed, so a half-made lake is never found. Returns the lake and
    /// whether it was made (false: one was there already).
    public static func initialize(in directory: String) throws -> (lake: Lake, created: Bool) {
        var parent = URL(fileURLWithPath: directory).standardizedFileURL.path
        if parent.hasSuffix("/.lake") { parent = String(parent.dropLast(6)) }
        let target = parent + "/.lake"
        if FileManager.default.fileExists(atPath: target + "/FORMAT") { return (try open(target), false) }
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = parent + "/.lake.init-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        do {
            try ObjectStore.create(at: staging)
            try Data((LakeFormat.current + "\n").utf8).write(to: URL(fileURLWithPath: staging + "/FORMAT"))
            _ = try Catalog(lakeDirectory: staging, store: ObjectStore(root: staging))
            guard rename(staging, target) == 0 else { throw SystemError("create", path: target) }
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        return (try open(target), true)
    }

    /// Finds the lake: `explicit` (a `.lake` directory or the directory holding one), else
    /// `$LAKE_DIR`, else the nearest `.lake/` from `cwd` upwards.
    public static func locate(explicit: String?, environment: (String) -> String? = Environment.value,
                              cwd: String = FileManager.default.currentDirectoryPath) throws -> String {
        let fm = FileManager.default
        func lakeDir(at path: String) -> String? {
            let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
            if fm.fileExists(atPath: absolute + "/FORMAT") { return absolute }
            if fm.fileExists(atPath: absolute + "/.lake/FORMAT") { return absolute + "/.lake" }
            return nil
        }
        if let explicit {
            guard let dir = lakeDir(at: explicit) else { throw LakeError.notALake(searched: "--lake \(explicit)") }
            return dir
        }
        if let env = environment("LAKE_DIR"), !env.isEmpty {
            guard let dir = lakeDir(at: env) else { throw LakeError.notALake(searched: "LAKE_DIR=\(env)") }
            return dir
        }
        var dir = URL(fileURLWithPath: cwd).standardizedFileURL
        while true {
            if fm.fileExists(atPath: dir.path + "/.lake/FORMAT") { return dir.path + "/.lake" }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw LakeError.notALake(searched: "no .lake/ in \(cwd) or above, and no --lake or $LAKE_DIR")
    }

    /// Rebuilds `catalog.sqlite` from the journal and the manifests (`lake fsck
    /// --rebuild-catalog`); works when the catalog is missing or damaged.
    public static func rebuildCatalog(_ directory: String) throws -> (datasets: Int, versions: Int, refMoves: Int) {
        try LakeFormat.check(directory)
        return try LakeLock.writer(directory).withLock {
            try Catalog.rebuild(lakeDirectory: directory, store: ObjectStore(root: directory))
        }
    }

    /// Runs `body` as a command in flight: it holds the gc lock shared, so gc waits until the
    /// objects it writes are catalogued. What this process knows of the packs is checked
    /// first: a gc may have run since it last held the lock (`refreshPackIndexes`). A command
    /// that fails after putting files in the store syncs them before it reports the failure,
    /// which leaves no unsynced marker behind (ObjectStore.syncWritten).
    func inFlight<T>(_ body: () throws -> T) throws -> T {
        try LakeLock.gc(directory, shared: true).withLock {
            store.refreshPackIndexes()
            do { return try body() } catch {
                try? store.syncWritten()
                throw error
            }
        }
    }

    /// The manifest of a snapshot, read from its (verified) object.
    public func manifest(_ id: SnapshotID) throws -> Manifest {
        do {
            return try Manifest(decoding: store.bytes(of: id.object))
        } catch StoreError.missingObject(id.object) {
            throw LakeError.snapshotMissing(id.description)
        }
    }
}
