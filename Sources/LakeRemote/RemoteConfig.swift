import Foundation
import LakeCore
import LakeKit

/// A remote: a name for an S3 location that holds a shared lake (`lake remote add`). Kept in
/// `.lake/remotes/NAME/remote.json`, beside the remote's cache; credentials are never stored.
public struct RemoteConfig: Codable, Equatable, Sendable {
    public var name: String
    /// `s3://BUCKET/PREFIX`.
    public var url: String
    /// `http(s)://HOST[:PORT]`; nil: AWS, `https://s3.REGION.amazonaws.com`.
    public var endpoint: String?
    public var region: String?
    /// Reads fetch the objects this lake lacks from this remote (set by `clone` and `pull`
    /// with `--metadata-only`).
    public var fetchOnDemand: Bool?

    public init(name: String, url: String, endpoint: String?, region: String?, fetchOnDemand: Bool = false) throws {
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
            throw RemoteError.invalidName(name)
        }
        _ = try Self.parse(url)
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw RemoteError.invalidEndpoint(endpoint)
        }
        (self.name, self.url, self.endpoint, self.region) = (name, url, endpoint, region)
        self.fetchOnDemand = fetchOnDemand ? true : nil
    }

    /// The bucket and the key prefix (empty, or ending in `/`) of an `s3://BUCKET/PREFIX` URL.
    public static func parse(_ url: String) throws -> (bucket: String, prefix: String) {
        guard url.hasPrefix("s3://") else { throw RemoteError.invalidURL(url, reason: "it does not start with s3://") }
        let rest = url.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        guard bucket.range(of: #"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"#, options: .regularExpression) != nil else {
            throw RemoteError.invalidURL(url, reason: "'\(bucket)' is not a bucket name (3-63 of a-z 0-9 . -)")
        }
        let prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        return (bucket, prefix.isEmpty ? "" : prefix + "/")
    }

    /// The region: the remote's own, else `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1.
    public func resolvedRegion(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        region ?? [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]].compactMap { $0 }.first { !$0.isEmpty } ?? "us-east-1"
    }
}

/// The remotes of one lake.
public struct Remotes: Sendable {
    /// `.lake/remotes`.
    let directory: String

    public init(_ lake: Lake) { directory = lake.directory + "/remotes" }

    func directory(of name: String) -> String { directory + "/" + name }

    public func all() throws -> [RemoteConfig] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        return names.compactMap { try? config(named: $0) }
    }

    public func config(named name: String) throws -> RemoteConfig {
        let path = directory(of: name) + "/remote.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw RemoteError.noSuchRemote(name, known: try all().map(\.name)) }
        do {
            return try JSONDecoder().decode(RemoteConfig.self, from: data)
        } catch {
            throw RemoteError.invalidConfig(path: path, problem: "\(error)")
        }
    }

    /// The remote a command names, else `origin`, else the only one.
    public func resolve(_ name: String?) throws -> RemoteConfig {
        if let name { return try config(named: name) }
        let all = try all()
        if let origin = all.first(where: { $0.name == "origin" }) { return origin }
        guard all.count == 1 else { throw RemoteError.whichRemote(known: all.map(\.name)) }
        return all[0]
    }

    /// Adds a remote; a name in use is refused.
    public func add(_ config: RemoteConfig) throws {
        let dir = directory(of: config.name)
        if FileManager.default.fileExists(atPath: dir + "/remote.json") { throw RemoteError.remoteExists(config.name) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try write(config)
    }

    /// Replaces a remote's file, through a temp file and a rename.
    public func write(_ config: RemoteConfig) throws {
        let dir = directory(of: config.name)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let tmp = dir + "/remote.json.tmp"
        try encoder.encode(config).write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, dir + "/remote.json") == 0 else { throw SystemError("rename", path: tmp) }
    }

    /// Removes a remote and its cache; the remote's bucket is not touched.
    public func remove(_ name: String) throws {
        _ = try config(named: name)
        try FileManager.default.removeItem(atPath: directory(of: name))
    }

    /// A client for the remote, with credentials from the environment.
    public func open(_ config: RemoteConfig) throws -> Remote {
        let (bucket, prefix) = try RemoteConfig.parse(config.url)
        let region = config.resolvedRegion()
        let client = try S3Client(endpoint: config.endpoint ?? "https://s3.\(region).amazonaws.com", bucket: bucket, region: region,
                              credentials: try S3Credentials.load())
        return Remote(name: config.name, client: client, prefix: prefix, cache: directory(of: config.name))
    }
}

/// Errors about remotes and what is on them.
public enum RemoteError: LakeFailure {
    case invalidName(String)
    case invalidURL(String, reason: String)
    case invalidEndpoint(String)
    case invalidConfig(path: String, problem: String)
    case noSuchRemote(String, known: [String])
    case whichRemote(known: [String])
    case remoteExists(String)
    case notALakeRemote(url: String, found: String?)
    case corruptObject(key: String, expected: String, actual: String)
    case damagedRemote(key: String, problem: String)
    case refMovedOnRemote(remote: String, ref: String, to: String, by: String, at: String)
    case conflicts(remote: String, [String])
    case nothingToSelect(String)
    case cloneTargetExists(String)
    case objectMissing(remote: String, id: String)

    public var category: ErrorCategory {
        switch self {
        case .invalidName, .invalidURL, .invalidEndpoint, .whichRemote, .cloneTargetExists: return .usage
        case .noSuchRemote, .nothingToSelect, .objectMissing: return .notFound
        case .invalidConfig, .notALakeRemote: return .failure
        case .corruptObject, .damagedRemote: return .corruption
        case .remoteExists, .refMovedOnRemote, .conflicts: return .conflict
        }
    }

    public var description: String {
        switch self {
        case .invalidName(let name):
            return "'\(name)' is not a remote name: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit"
        case .invalidURL(let url, let reason):
            return "'\(url)' is not a remote URL: \(reason). Write s3://BUCKET/PREFIX"
        case .invalidEndpoint(let endpoint):
            return "'\(endpoint)' is not an endpoint: write http://HOST:PORT or https://HOST"
        case .invalidConfig(let path, let problem):
            return "\(path) is not a valid remote file (\(problem)); remove the remote with 'lake remote rm' and add it again"
        case .noSuchRemote(let name, let known):
            return "no remote '\(name)'; " + (known.isEmpty ? "add one with 'lake remote add NAME s3://BUCKET/PREFIX'" : "the remotes are \(known.joined(separator: ", "))")
        case .whichRemote(let known):
            return known.isEmpty ? "this lake has no remote; add one with 'lake remote add NAME s3://BUCKET/PREFIX'"
                : "this lake has several remotes (\(known.joined(separator: ", "))) and none is 'origin': name one"
        case .remoteExists(let name):
            return "a remote '\(name)' exists already; remove it first with 'lake remote rm \(name)', or pick another name"
        case .notALakeRemote(let url, let found?):
            return "\(url) holds something else than a lake (its FORMAT says '\(found)'); use another prefix"
        case .notALakeRemote(let url, nil):
            return "\(url) holds no lake yet (no FORMAT key); push to it first with 'lake push'"
        case .objectMissing(let remote, let id):
            return "object \(id) is on neither this lake nor remote '\(remote)'; push it from a lake that has it"
        case .corruptObject(let key, let expected, let actual):
            return "the remote's \(key) is damaged: it should hash to \(expected) but hashes to \(actual); nothing was taken from it. Delete that key on the remote and push again from a lake that has the object"
        case .damagedRemote(let key, let problem):
            return "the remote's \(key) is damaged: \(problem); nothing was taken from it"
        case .refMovedOnRemote(let remote, let ref, let to, let by, let at):
            return "ref '\(ref)' was moved on remote '\(remote)' by \(by) at \(at) to \(to); nothing changed here. Run 'lake pull \(remote)', then promote again if you still mean to"
        case .conflicts(let remote, let conflicts):
            return "the remote '\(remote)' and this lake disagree, so nothing was pushed:\n  " + conflicts.joined(separator: "\n  ")
        case .nothingToSelect(let name):
            return "no ref or dataset '\(name)' to transfer; 'lake refs' and 'lake ls' list them"
        case .cloneTargetExists(let dir):
            return "\(dir) holds a lake already; clone into a new directory, or use 'lake pull' there"
        }
    }
}
