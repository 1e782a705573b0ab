/// The rule shared by dataset and ref names: slash-separated segments of letters, digits,
/// `.`, `_` and `-`, none empty, `.` or `..`; at most 200 bytes. `@`, `:`, spaces and `{}` are
/// kept out because TARGET syntax (`NAME@3`, `REF@{1}`, `TARGET:PATH`) uses them.
enum NameRule {
    static let allowed = "letters, digits, '.', '_', '-' and '/' between segments"

    static func problem(in name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > 200 { return "it is longer than 200 bytes" }
        for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "it has an empty segment (leading, trailing or double '/')" }
            if segment == "." || segment == ".." { return "it has a '\(segment)' segment" }
            if let bad = segment.unicodeScalars.first(where: { !isAllowed($0) }) {
                return "it contains '\(bad.escaped(asASCII: true))'"
            }
        }
        return nil
    }

    private static func isAllowed(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}

/// The name of a dataset, e.g. `runs/passX` or `corpus/combined/permissive`.
public struct DatasetName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// ```swift
    /// let name = try DatasetName("runs/passX")
    /// ```
    public init(_ rawValue: String) throws {
        if let problem = NameRule.problem(in: rawValue) {
            throw CoreError.invalidName(kind: "dataset", name: rawValue, problem: problem, allowed: NameRule.allowed)
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The name of a ref, e.g. `field/_current/MERGED`.
public struct RefName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// ```swift
    /// let ref = try RefName("field/_current/MERGED")
    /// ```
    public init(_ rawValue: String) throws {
        if let problem = NameRule.problem(in: rawValue) {
            throw CoreError.invalidName(kind: "ref", name: rawValue, problem: problem, allowed: NameRule.allowed)
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// What a dataset holds; it decides the checks and defaults the dataset gets.
public enum Kind: String, CaseIterable, Sendable, Codable {
    case run, ledger, pitch, manifest, quarantine, archive, other

    /// ```swift
    /// let kind = try Kind(parsing: "ledger")
    /// ```
    public init(parsing text: String) throws {
        guard let kind = Kind(rawValue: text) else {
            throw CoreError.invalidKind(text, allowed: Kind.allCases.map(\.rawValue))
        }
        self = kind
    }
}
