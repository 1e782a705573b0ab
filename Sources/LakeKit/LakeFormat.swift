import Foundation
import LakeCore

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
        guard let data = FileManager.default.contents(atPath: path) else { throw LakeError.notALake(searched: lakeDir) }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0] == name, let v = Int(parts[1]), v >= 1 else {
            throw LakeError.unreadableFormat(path: path, content: text)
        }
        if v > version { throw LakeError.newerFormat(path: lakeDir, found: text) }
    }
}
