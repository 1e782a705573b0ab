import Foundation
import LakeCatalog
import LakeCore
import LakeStore

/// One problem `lake fsck` found.
public struct FsckProblem: Sendable, Codable, Equatable {
    /// `object`, `pack`, `snapshot`, `catalog`, `journal`.
    public var area: String
    public var subject: String
    public var problem: String
}

/// What `lake fsck` checked and found.
public struct FsckReport: Sendable, Codable, Equatable {
    public var objects: Int
    public var bytes: UInt64
    public var snapshots: Int
    public var problems: [FsckProblem]
    /// Harmless findings, e.g. temp files left by an interrupted commit.
    public var notes: [String]
    public var clean: Bool

    public init(objects: Int, bytes: UInt64, snapshots: Int, problems: [FsckProblem], notes: [String]) {
        (self.objects, self.bytes, self.snapshots, self.problems, self.notes) = (objects, bytes, snapshots, problems, notes)
        clean = problems.isEmpty
    }
}

extension Lake {
    /// Re-hashes every object, decodes every manifest, and checks every catalog row that names
    /// a snapshot against the objects (invariant 1).
    public func fsck(progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> FsckReport {
        let verification = try StoreVerifier.verify(store, progress: progress)
        var problems = verification.problems.map {
            FsckProblem(area: $0.location.hasSuffix(".pack") ? "pack" : "object", subject: $0.object ?? $0.location, problem: "\($0.problem) (\($0.location))")
        }
        problems += try catalog.integrityProblems().map { FsckProblem(area: "catalog", subject: catalog.path, problem: $0) }
        let journal = try catalog.journalProblems()
        problems += journal.problems.map { FsckProblem(area: "journal", subject: catalog.journal.path, problem: $0) }
        var namedBy = [String: [String]]()
        for (snapshot, from) in try catalog.snapshotReferences() where from != "snapshots" {
            namedBy[snapshot, default: []].append(from)
        }
        let snapshots = try catalog.allSnapshots().map(\.description)
        var archivedOnly = 0, remoteOnly = 0
        for snapshot in Set(snapshots).union(namedBy.keys).sorted() {
            do {
                _ = try checkSnapshot(snapshot, good: verification.good, archivedOnly: &archivedOnly, remoteOnly: &remoteOnly)
            } catch {
                let users = namedBy[snapshot] ?? []
                let named = users.isEmpty ? "" : " (used by \(users.prefix(3).joined(separator: ", "))\(users.count > 3 ? " and \(users.count - 3) more" : ""))"
                problems.append(FsckProblem(area: "snapshot", subject: snapshot, problem: "\(error)\(named)"))
            }
        }
        let runObjects = try catalog.runObjects().filter { !verification.good.contains(try ObjectID(parsing: $0.0)) }
        // A remote that cannot be asked (no network, no credentials) vouches for nothing.
        let onRemote = (try? store.source?.holds(runObjects.map { try ObjectID(parsing: $0.0) })) ?? []
        for (object, run) in runObjects where try !onRemote.contains(ObjectID(parsing: object)) || store.contains(ObjectID(parsing: object)) {
            problems.append(FsckProblem(area: "run", subject: run, problem: "its log object \(object) is missing or corrupt"))
        }
        problems += try checkArchiveIndex()
        var notes = [String]()
        if archivedOnly > 0 {
            notes.append("\(archivedOnly) archived snapshot(s) are kept only in their archives (gc dropped their objects); 'lake restore' brings them back")
        }
        if remoteOnly > 0 {
            notes.append("\(remoteOnly) snapshot(s) have objects kept only on the remote (a --metadata-only clone); reads fetch and verify them")
        }
        if journal.pending > 0 {
            notes.append("\(journal.pending) journal record(s) of an interrupted command are not in the catalog yet; the next write applies them")
        }
        if !verification.leftovers.isEmpty {
            notes.append("\(verification.leftovers.count) temporary file(s) in tmp/ left by interrupted commands; harmless, and safe to delete when no lake command runs")
        }
        return FsckReport(objects: verification.objectsChecked, bytes: verification.bytesChecked,
                          snapshots: snapshots.count, problems: problems, notes: notes)
    }

    /// The manifest must be a good object that decodes, every file's object must be good, and the
    /// catalog's file rows must say what the manifest says.
    /// An archived snapshot may lack objects that gc dropped, as long as its archive is there.
    /// Objects not fetched yet from the lake's remote (`ObjectStore.source`) count as there.
    private func checkSnapshot(_ text: String, good: Set<ObjectID>, archivedOnly: inout Int, remoteOnly: inout Int) throws -> Manifest {
        let id = try SnapshotID(parsing: text)
        guard good.contains(id.object) else { throw FsckFailure("its manifest object is missing or corrupt") }
        let manifest = try self.manifest(id)
        let bad = manifest.entries.filter { !good.contains($0.object) }
        let corrupt = try bad.filter { try store.contains($0.object) }
        if let first = corrupt.first {
            throw FsckFailure("\(corrupt.count) file(s) have corrupt objects, first '\(first.path)' (\(first.object))")
        }
        let absent = Set(bad.map(\.object))
        if !absent.isEmpty, let source = store.source, (try? source.holds(Array(absent))) == absent {
            remoteOnly += 1
        } else if let first = bad.first {
            guard let archive = try catalog.archives(of: id).first else {
                throw FsckFailure("\(bad.count) file(s) have missing objects, first '\(first.path)' (\(first.object))")
            }
            guard FileManager.default.fileExists(atPath: directory + "/" + archive.archive) else {
                throw FsckFailure("gc dropped its objects and its archive \(archive.archive) is missing")
            }
            archivedOnly += 1
        }
        let rows = try catalog.files(of: id)
        let listed = rows.map { "\($0.path) \($0.mode) \($0.size) \($0.object)" }
        let truth = manifest.entries.map { "\($0.path) \($0.mode) \($0.size) \($0.object)" }
        if listed != truth, try catalog.hasSnapshot(id) {
            throw FsckFailure("the catalog's file list differs from the manifest (\(listed.count) rows, \(truth.count) entries)")
        }
        return manifest
    }
}

extension Lake {
    /// Every line of archives/index.jsonl must read as an archive record, and every archive
    /// the catalog knows must have its line and its file.
    func checkArchiveIndex() throws -> [FsckProblem] {
        let known = try catalog.archives(of: nil)
        var problems = [FsckProblem]()
        var listed = Set<String>()
        if let text = try? String(contentsOfFile: archiveIndexPath, encoding: .utf8) {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                do {
                    listed.insert(try decoder.decode(ArchiveRecord.self, from: Data(line.utf8)).archive)
                } catch {
                    problems.append(FsckProblem(area: "archive", subject: "archives/index.jsonl", problem: "line \(n + 1) is malformed: \(error)"))
                }
            }
        }
        for a in known {
            if !listed.contains(a.archive) {
                problems.append(FsckProblem(area: "archive", subject: a.archive, problem: "the catalog knows it but archives/index.jsonl has no line for it"))
            }
            if !FileManager.default.fileExists(atPath: directory + "/" + a.archive) {
                problems.append(FsckProblem(area: "archive", subject: a.archive, problem: "the archive file is missing"))
            }
        }
        return problems
    }
}

struct FsckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
