import Foundation
import LakeCore

/// One entry of a tar stream as Lake writes and reads them: regular files, directories and
/// symbolic links, POSIX ustar headers with pax records for long or non-ASCII names and for
/// sizes of 8 GiB or more.
struct TarEntry: Equatable {
    enum Kind: Equatable { case file, directory, symlink }
    var path: String
    var kind: Kind
    var mode: UInt32
    var size: UInt64
    var linkTarget: String?
    var mtime: Int64
}

/// Writes tar headers; file contents are written by the caller between headers.
enum TarFormat {
    static let block = 512

    /// The header blocks of an entry (a pax header first when a name does not fit ustar).
    static func header(_ e: TarEntry) -> [UInt8] {
        var out = [UInt8]()
        let name = e.kind == .directory ? e.path + "/" : e.path
        var pax = [(String, String)]()
        if !fits(name) { pax.append(("path", name)) }
        if let link = e.linkTarget, !fits(link) { pax.append(("linkpath", link)) }
        // The ustar size field holds 11 octal digits: a larger size is a pax record, and the
        // field is 0 (as GNU tar writes it).
        let large = e.kind == .file && e.size > maxUstarSize
        if large { pax.append(("size", String(e.size))) }
        if !pax.isEmpty {
            var body = [UInt8]()
            for (key, value) in pax { body += record(key, value) }
            out += ustar(name: "PaxHeaders/" + String(decoding: name.utf8.suffix(80), as: UTF8.self).asciiOnly, mode: 0o644, size: UInt64(body.count),
                         type: UInt8(ascii: "x"), link: "", mtime: e.mtime)
            out += padded(body)
        }
        let type: UInt8 = switch e.kind {
        case .file: UInt8(ascii: "0")
        case .directory: UInt8(ascii: "5")
        case .symlink: UInt8(ascii: "2")
        }
        out += ustar(name: fits(name) ? name : String(decoding: name.utf8.suffix(99), as: UTF8.self).asciiOnly, mode: e.mode,
                     size: e.kind == .file && !large ? e.size : 0, type: type,
                     link: e.linkTarget.map { fits($0) ? $0 : "" } ?? "", mtime: e.mtime)
        return out
    }

    /// Zero bytes up to the next block boundary after `size` bytes of content.
    static func padding(after size: UInt64) -> [UInt8] {
        let rest = Int(size % UInt64(block))
        return rest == 0 ? [] : [UInt8](repeating: 0, count: block - rest)
    }

    /// Two zero blocks end a tar stream.
    static let end = [UInt8](repeating: 0, count: 2 * block)

    /// The largest size 11 octal digits hold: 8 GiB less a byte.
    static let maxUstarSize: UInt64 = 0o77777777777

    private static func fits(_ s: String) -> Bool { s.utf8.count < 100 && s.utf8.allSatisfy { $0 < 0x80 } }

    private static func padded(_ b: [UInt8]) -> [UInt8] { b + padding(after: UInt64(b.count)) }

    /// A pax record: "<length> <key>=<value>\n", where the length counts itself.
    private static func record(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count > length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    private static func ustar(name: String, mode: UInt32, size: UInt64, type: UInt8, link: String, mtime: Int64) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        func put(_ s: [UInt8], _ at: Int, _ max: Int) { for (i, b) in s.prefix(max).enumerated() { h[at + i] = b } }
        func octal(_ v: UInt64, _ at: Int, _ width: Int) { put(Array(v.zeroPadded(width - 1, radix: 8).utf8), at, width - 1) }
        put(Array(name.utf8), 0, 100)
        octal(UInt64(mode & 0o7777), 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(UInt64(max(0, mtime)), 136, 12)
        h[156] = type
        put(Array(link.utf8), 157, 100)
        put(Array("ustar\u{0}00".utf8), 257, 8)
        for i in 148 ..< 156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + UInt64($1) }
        put(Array(sum.zeroPadded(6, radix: 8).utf8), 148, 6)
        h[154] = 0
        h[155] = 0x20
        return h
    }

    /// Parses one header block (with the pax records that came before it).
    static func parse(_ h: [UInt8], pax: [String: String], archive: String) throws -> (type: UInt8, entry: TarEntry) {
        func field(_ at: Int, _ len: Int) -> [UInt8] { Array(h[at ..< at + len].prefix { $0 != 0 }) }
        // Octal digits between optional spaces, read from the bytes: a restore parses one
        // header per file, and going through String and Foundation's trimming cost 10% of it.
        func number(_ at: Int, _ len: Int, _ what: String) throws -> UInt64 {
            let digits = field(at, len).drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed()
            var value: UInt64 = 0
            for c in digits {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "7"), value >> 61 == 0 else {
                    throw ArchiveError.corrupt(path: archive, entry: nil, problem: "header field \(what) is not a number")
                }
                value = value << 3 | UInt64(c - UInt8(ascii: "0"))
            }
            return value
        }
        var sumBlock = h
        for i in 148 ..< 156 { sumBlock[i] = 0x20 }
        let stored = try number(148, 8, "checksum")
        guard sumBlock.reduce(0, { $0 + UInt64($1) }) == stored else {
            throw ArchiveError.corrupt(path: archive, entry: String(decoding: field(0, 100), as: UTF8.self), problem: "header checksum does not match")
        }
        var name = String(decoding: field(0, 100), as: UTF8.self)
        let prefix = String(decoding: field(345, 155), as: UTF8.self)
        if !prefix.isEmpty, h[257 ..< 262].elementsEqual("ustar".utf8) { name = prefix + "/" + name }
        name = pax["path"] ?? name
        let type = h[156]
        let size = try pax["size"].flatMap { UInt64($0) } ?? number(124, 12, "size")
        let link = pax["linkpath"] ?? String(decoding: field(157, 100), as: UTF8.self)
        let kind: TarEntry.Kind = switch type {
        case UInt8(ascii: "5"): .directory
        case UInt8(ascii: "2"): .symlink
        default: .file
        }
        if name.hasSuffix("/") { name.removeLast() }
        return (type, TarEntry(path: name, kind: kind, mode: UInt32(try number(100, 8, "mode")), size: size,
                               linkTarget: kind == .symlink ? link : nil, mtime: Int64(try number(136, 12, "mtime"))))
    }

    /// Parses pax records.
    static func paxRecords(_ body: [UInt8], archive: String) throws -> [String: String] {
        var out = [String: String]()
        var i = 0
        while i < body.count {
            guard let space = body[i...].firstIndex(of: 0x20), let length = Int(String(decoding: body[i ..< space], as: UTF8.self)),
                  length > 0, i + length <= body.count, body[i + length - 1] == 0x0A,
                  let eq = body[space ..< i + length].firstIndex(of: UInt8(ascii: "="))
            else { throw ArchiveError.corrupt(path: archive, entry: nil, problem: "malformed pax record") }
            out[String(decoding: body[(space + 1) ..< eq], as: UTF8.self)] = String(decoding: body[(eq + 1) ..< (i + length - 1)], as: UTF8.self)
            i += length
        }
        return out
    }
}

private extension String {
    /// Non-ASCII bytes replaced by '_': for the ustar name fields, whose real value is in pax.
    var asciiOnly: String { String(decoding: utf8.map { $0 < 0x80 && $0 != 0 ? $0 : UInt8(ascii: "_") }, as: UTF8.self) }
}
