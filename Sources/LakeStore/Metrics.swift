import Foundation
import LakeCore

/// Numeric fields of a snapshot's metrics files (`metrics*.json`, `*_metrics.json`,
/// `manifest.json`, `report*.json`; `$LAKE_METRICS_FILES` replaces the list with its own
/// comma-separated globs), flattened to key → value: nested keys joined with `.`, array items
/// by index. Booleans and strings are not metrics.
public enum Metrics {
    public struct Value: Sendable, Equatable {
        public var path: String
        public var key: String
        public var value: Double

        public init(path: String, key: String, value: Double) {
            (self.path, self.key, self.value) = (path, key, value)
        }
    }

    public static var patterns: [String] {
        Environment.value("LAKE_METRICS_FILES").map { $0.split(separator: ",").map(String.init) } ?? defaultPatterns
    }

    /// A metrics file larger than this is not read (metrics are small; a large JSON is data).
    static let maxBytes: UInt64 = 16 << 20

    /// Whether `path`'s base name matches one of `patterns` (read once by the caller: the
    /// environment is copied on every read, and this runs for every file of a commit). With
    /// `onlyJSON` (the default patterns), a path not ending in `.json` is refused from its bytes
    /// alone, before any pattern is tried.
    static func isMetricsFile(_ path: String, _ patterns: [String], onlyJSON: Bool) -> Bool {
        if onlyJSON {
            var path = path
            let json = path.withUTF8 { $0.count >= 5 && memcmp($0.baseAddress! + $0.count - 5, ".json", 5) == 0 }
            guard json else { return false }
        }
        let base = FileIO.baseName(path)
        return patterns.contains { fnmatch($0, base, 0) == 0 }
    }

    static let defaultPatterns = ["metrics*.json", "*_metrics.json", "manifest.json", "report*.json"]

    /// The metrics of a manifest's metrics files, read from the store. A file that is not a
    /// JSON object gives none. `known` gives the metrics of objects already parsed (a
    /// dataset's latest version, by object); it is called once, at the first metrics file.
    /// Parsing is the cost it saves: about 200,000 instructions for a 130-byte file (callgrind),
    /// a tenth of a commit that changed one file of a pipeline's 90.
    public static func values(of manifest: Manifest, in store: ObjectStore,
                              known: () throws -> [ObjectID: [(key: String, value: Double)]] = { [:] }) throws -> [Value] {
        var out = [Value]()
        var reusable: [ObjectID: [(key: String, value: Double)]]?
        let patterns = self.patterns, onlyJSON = patterns == defaultPatterns
        for e in manifest.entries where !e.isSymlink && e.size <= maxBytes && isMetricsFile(e.path, patterns, onlyJSON: onlyJSON) {
            if reusable == nil { reusable = try known() }
            if let values = reusable?[e.object] {
                out += values.map { Value(path: e.path, key: $0.key, value: $0.value) }
                continue
            }
            guard let json = try? JSONSerialization.jsonObject(with: Data(store.bytes(of: e.object))) else { continue }
            flatten(json, prefix: "", path: e.path, into: &out)
        }
        return out
    }

    static func flatten(_ node: Any, prefix: String, path: String, into out: inout [Value]) {
        switch node {
        case let n as NSNumber where String(cString: n.objCType) != "c":
            if !prefix.isEmpty, n.doubleValue.isFinite { out.append(Value(path: path, key: prefix, value: n.doubleValue)) }
        case let d as [String: Any]:
            for (k, v) in d.sorted(by: { $0.key < $1.key }) { flatten(v, prefix: prefix.isEmpty ? k : prefix + "." + k, path: path, into: &out) }
        case let a as [Any]:
            for (i, v) in a.enumerated() { flatten(v, prefix: prefix.isEmpty ? "\(i)" : prefix + ".\(i)", path: path, into: &out) }
        default:
            break
        }
    }
}
