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

/// A validated name (datasets and refs share one rule); `init(_:)` throws a message that
/// says which characters are allowed.
public protocol LakeName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// "dataset" or "ref", for messages.
    static var noun: String { get }
    var rawValue: String { get }
    /// Only `init(_:)` calls this, after the rule held: the token cannot be made elsewhere.
    init(rawValue: String, checked: NameChecked)
}

/// Proof that a name passed `NameRule`.
public struct NameChecked: Sendable {
    fileprivate init() {}
}

extension LakeName {
    public init(_ rawValue: String) throws {
        if let problem = NameRule.problem(in: rawValue) {
            throw CoreError.invalidName(kind: Self.noun, name: rawValue, problem: problem, allowed: NameRule.allowed)
        }
        self.init(rawValue: rawValue, checked: NameChecked())
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The name of a dataset, e.g. `runs/passX` or `corpus/combined/permissive`.
///
/// ```swift
/// let name = try DatasetName("runs/passX")
/// ```
public struct DatasetName: LakeName {
    public static let noun = "dataset"
    public let rawValue: String
    public init(rawValue: String, checked: NameChecked) { self.rawValue = rawValue }
}

/// The name of a ref, e.g. `field/_current/MERGED`.
///
/// ```swift
/// let ref = try RefName("field/_current/MERGED")
/// ```
public struct RefName: LakeName {
    public static let noun = "ref"
    public let rawValue: String
    public init(rawValue: String, checked: NameChecked) { self.rawValue = rawValue }
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
