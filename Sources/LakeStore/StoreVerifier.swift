import Foundation
import LakeCore

/// A problem found in the object store.
public struct StoreProblem: Sendable, Codable, Equatable {
    public var object: String?
    public var location: String
    public var problem: String
}

/// The result of re-hashing every object.
public struct StoreVerification: Sendable {
    /// Objects whose bytes hash to their names.
    public var good: Set<ObjectID>
    public var problems: [StoreProblem]
    public var objectsChecked: Int
    public var bytesChecked: UInt64
    /// Files left in `tmp/` by interrupted commands: harmless.
    public var leftovers: [String]
}

/// Re-hashes every loose and packed object on all cores (invariant 1).
public enum StoreVerifier {
    /// `progress` gets (objects checked, objects in all) from worker threads.
    public static func verify(_ store: ObjectStore, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> StoreVerification {
        var problems = try store.damagedPacks.sorted { $0.key < $1.key }.map {
            StoreProblem(object: nil, location: $0.key, problem: $0.value.description)
        }
        var work: [(ObjectID, ObjectLocation)] = try store.packedObjects()
        for (id, path) in try store.looseObjects() {
            guard let id else {
                problems.append(StoreProblem(object: nil, location: path, problem: "stray file in objects/: its name is not an object ID"))
                continue
            }
            work.append((id, .loose(path: path)))
        }
        for (id, path) in store.segmentedObjects() {
            do {
                work.append((id, .segments(path: path, parts: try store.segments(of: id) ?? [])))
            } catch {
                problems.append(StoreProblem(object: id.description, location: path, problem: "\(error)"))
            }
        }
        let lock = NSLock()
        var good = Set<ObjectID>()
        var bytes: UInt64 = 0
        var found = [StoreProblem]()
        let next = NSLock()
        var index = 0
        DispatchQueue.concurrentPerform(iterations: Environment.cores) { _ in
            while true {
                next.lock()
                let i = index
                index += 1
                next.unlock()
                guard i < work.count else { return }
                if i % 256 == 0 { progress?(i, work.count) }
                let (id, location) = work[i]
                var size: UInt64 = 0
                var outcome = Result { try store.read(at: location) { size += UInt64($0.count) } }
                // A pack that a merge or gc in another process removed meanwhile: its objects
                // are in a new pack, looked up again.
                if case .failure(let error) = outcome, (error as? SystemError)?.code == ENOENT, case .packed = location {
                    store.reloadPackIndexes()
                    size = 0
                    outcome = Result {
                        guard let moved = try store.location(of: id) else { throw StoreError.missingObject(id) }
                        return try store.read(at: moved) { size += UInt64($0.count) }
                    }
                }
                lock.lock()
                bytes += size
                switch outcome {
                case .success(let actual) where actual == id:
                    good.insert(id)
                case .success(let actual):
                    found.append(StoreProblem(object: id.description, location: location.describe,
                                              problem: "corrupt: the bytes hash to \(actual)"))
                case .failure(let error):
                    found.append(StoreProblem(object: id.description, location: location.describe, problem: "\(error)"))
                }
                lock.unlock()
            }
        }
        problems += found.sorted { ($0.object ?? "", $0.location) < ($1.object ?? "", $1.location) }
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: store.tmpDirectory)) ?? []).sorted()
        return StoreVerification(good: good, problems: problems, objectsChecked: work.count, bytesChecked: bytes, leftovers: leftovers)
    }
}
