/// Rows for a bulk insert, as one JSON array of arrays that SQLite unpacks with `json_each`:
/// one statement for a commit's tens of thousands of file rows, instead of one execution per
/// row (each costs microseconds of binding and bookkeeping).
struct JSONRows {
    private var bytes: [UInt8] = [UInt8(ascii: "[")]
    private var rows = 0

    var isEmpty: Bool { rows == 0 }

    struct Row {
        fileprivate var bytes: [UInt8]
        fileprivate var first = true
        private static let hex = Array("0123456789abcdef".utf8)

        private mutating func separator() {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
        }

        mutating func int(_ value: Int64?) {
            separator()
            bytes.append(contentsOf: value.map { String($0) }.map { Array($0.utf8) } ?? Array("null".utf8))
        }

        /// A JSON string: quotes, backslashes and control bytes are escaped; UTF-8 passes as is.
        mutating func string(_ value: String) {
            separator()
            bytes.append(UInt8(ascii: "\""))
            for b in value.utf8 {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    bytes.append(UInt8(ascii: "\\"))
                    bytes.append(b)
                case 0 ..< 0x20:
                    bytes.append(contentsOf: Array("\\u00".utf8))
                    bytes.append(Self.hex[Int(b >> 4)])
                    bytes.append(Self.hex[Int(b & 0xF)])
                default:
                    bytes.append(b)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    mutating func row(_ fill: (inout Row) -> Void) {
        var row = Row(bytes: [UInt8(ascii: "[")])
        fill(&row)
        if rows > 0 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: row.bytes)
        bytes.append(UInt8(ascii: "]"))
        rows += 1
    }

    func finish() -> String {
        String(decoding: bytes + [UInt8(ascii: "]")], as: UTF8.self)
    }
}
