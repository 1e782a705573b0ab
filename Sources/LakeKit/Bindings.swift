import Foundation
import LakeCatalog
import LakeCore
import LakeStore

/// A ref bound to a path on disk: the path is a symbolic link to a read-only view of the ref's
/// snapshot, swapped whenever the ref moves, so scripts that read `field/_current/MERGED/`
/// keep working when the pointer becomes a ref.
public struct RefBinding: Sendable, Codable, Equatable {
    public var ref: String
    /// Absolute.
    public var path: String
}

/// What binding did: the view the path now points at.
public struct BindingUpdate: Sendable, Codable, Equatable {
    public var ref: String
    public var path: String
    public var snapshot: String
    public var view: String
}

/// The bindings file, `.lake/bindings.json`: local to this machine (like a git work tree's
/// checkout, not part of the catalog or its journal). Views live in `.lake/views/<hex>`, one per
/// snapshot whatever the number of refs and paths showing it.
extension Lake {
    var bindingsPath: String { directory + "/bindings.json" }
    var viewsDirectory: String { directory + "/views" }

    public func bindings() throws -> [RefBinding] {
        guard let data = FileManager.default.contents(atPath: bindingsPath) else { return [] }
        do {
            return try JSONDecoder().decode([RefBinding].self, from: data)
        } catch {
            throw LakeError.invalidBindings(path: bindingsPath, problem: "\(error)")
        }
    }

    private func saveBindings(_ bindings: [RefBinding]) throws {
        let tmp = store.tmpDirectory + "/" + FileIO.uniqueName("bindings")
        try JSONEncoder.sorted.encode(bindings.sorted { ($0.ref, $0.path) < ($1.ref, $1.path) })
            .write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, bindingsPath) == 0 else { throw SystemError("replace", path: bindingsPath) }
    }

    /// Binds `path` to `ref` and points it at the ref's snapshot now. The path must be absent,
    /// or a link this lake made (a path bound to another ref moves to this one); an existing
    /// file or directory is never replaced.
    public func bind(_ ref: RefName, path: String) throws -> BindingUpdate {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return try inFlight {
            try writerLock.withLock {
                guard let current = try catalog.ref(ref) else { throw CatalogError.refNotFound(ref.rawValue) }
                var all = try bindings().filter { $0.path != absolute }
                all.append(RefBinding(ref: ref.rawValue, path: absolute))
                let update = try point(absolute, ref: ref.rawValue, at: SnapshotID(parsing: current.snapshot))
                try saveBindings(all)
                return update
            }
        }
    }

    /// Forgets the binding of `path` and removes its link (the view stays until `lake gc`).
    public func unbind(path: String) throws -> RefBinding {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return try writerLock.withLock {
            var all = try bindings()
            guard let index = all.firstIndex(where: { $0.path == absolute }) else { throw LakeError.notBound(absolute) }
            let removed = all.remove(at: index)
            try saveBindings(all)
            if isOurLink(absolute) { unlink(absolute) }
            return removed
        }
    }

    /// Points every path bound to `ref` at `snapshot`; called under the writer lock right after
    /// the ref moved, so two moves cannot leave a path showing the older one.
    func updateBindings(of ref: RefName, to snapshot: SnapshotID) throws -> [BindingUpdate] {
        try bindings().filter { $0.ref == ref.rawValue }.map { binding in
            do {
                return try point(binding.path, ref: binding.ref, at: snapshot)
            } catch {
                throw LakeError.bindingNotUpdated(ref: binding.ref, path: binding.path, problem: "\(error)")
            }
        }
    }

    /// Makes `path` a link to the view of `snapshot`: a new link under a temporary name,
    /// renamed over the old one, so a reader sees the old view or the new one, never neither.
    private func point(_ path: String, ref: String, at snapshot: SnapshotID) throws -> BindingUpdate {
        let view = try view(of: snapshot)
        try checkReplaceable(path)
        try FileIO.makeDirectories(FileIO.parent(path))
        let tmp = FileIO.parent(path) + "/." + FileIO.uniqueName("lake-bind")
        guard symlink(view, tmp) == 0 else { throw SystemError("link", path: tmp) }
        guard rename(tmp, path) == 0 else {
            let error = SystemError("replace", path: path)
            unlink(tmp)
            throw error
        }
        return BindingUpdate(ref: ref, path: path, snapshot: snapshot.description, view: view)
    }

    private func checkReplaceable(_ path: String) throws {
        guard FileIO.lstat(path) != nil, !isOurLink(path) else { return }
        throw LakeError.bindingPathTaken(path)
    }

    /// Whether `path` is a symbolic link into this lake's views.
    private func isOurLink(_ path: String) -> Bool {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return false }
        return target.hasPrefix(viewsDirectory + "/")
    }

    /// The read-only view of a snapshot, made when missing: checked out under a temporary name
    /// (an archived snapshot is restored first), made read-only, and renamed into place.
    func view(of snapshot: SnapshotID) throws -> String {
        let path = viewsDirectory + "/" + snapshot.object.hex
        if FileIO.lstat(path) != nil { return path }
        try FileIO.makeDirectories(viewsDirectory)
        let staging = viewsDirectory + "/." + FileIO.uniqueName("view")
        do {
            _ = try whenArchived(snapshot, target: snapshot.description, restore: true) {
                try Checkout.run(manifest(snapshot), store: store, into: staging, mode: .copy)
            }
            try Self.setWritable(false, under: staging)
            guard rename(staging, path) == 0 else {
                // Another command made the same view meanwhile: theirs is as good.
                if FileIO.lstat(path) != nil { try? Self.removeView(staging); return path }
                throw SystemError("rename", path: path)
            }
        } catch {
            try? Self.removeView(staging)
            throw error
        }
        return path
    }

    /// Removes the views no binding points at; returns how many. Run by `lake gc`.
    func pruneViews() throws -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: viewsDirectory) else { return 0 }
        let shown = Set(try bindings().compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: $0.path) })
        var removed = 0
        for name in names where !shown.contains(viewsDirectory + "/" + name) {
            try Self.removeView(viewsDirectory + "/" + name)
            removed += 1
        }
        return removed
    }

    private static func removeView(_ path: String) throws {
        try setWritable(true, under: path)
        try FileManager.default.removeItem(atPath: path)
    }

    /// Takes write permission from (or gives it back to) every file and directory under `root`.
    private static func setWritable(_ writable: Bool, under root: String) throws {
        let entries = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
        for p in [root] + entries.map({ root + "/" + $0 }) {
            guard let st = FileIO.lstat(p), st.st_mode & S_IFMT != S_IFLNK else { continue }
            let mode = writable ? st.st_mode | S_IWUSR : st.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH)
            guard chmod(p, mode & 0o7777) == 0 else { throw SystemError("chmod", path: p) }
        }
    }
}
