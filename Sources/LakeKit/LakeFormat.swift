import LakeCore
import LakeStore

/// The `FORMAT` file: the on-disk format's name and version, checked on every open.
public enum LakeFormat {
    public static let name = "lake-format"
    public static let version = 1
    public static var current: String { "\(name) \(version)" }
    /// The lake program's version, recorded with every run.
    public static let toolVersion = "0.1.0"

    /// Throws when the file names a newer version or is not a lake format at all.
    static func check(_ lakeDir: String) throws {
        let path = lakeDir + "/FORMAT"
        guard let bytes = FileIO.contents(of: path) else { throw LakeError.notALake(searched: lakeDir) }
        // Trimmed here: Foundation's trimmingCharacters goes through NSString, whose first use
        // costs every command 0.9M instructions of runtime type lookups.
        var text = Substring(String(decoding: bytes, as: UTF8.self))
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0] == name, let v = Int(parts[1]), v >= 1 else {
            throw LakeError.unreadableFormat(path: path, content: String(text))
        }
        if v > version { throw LakeError.newerFormat(path: lakeDir, found: String(text)) }
    }
}
