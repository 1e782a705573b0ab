/// Counts the rows of a tabular file while its bytes stream past, so a commit learns row counts
/// in the same read pass that hashes the file.
///
/// JSON lines (`.jsonl`, `.ndjson`): one row per non-blank line. CSV: one row per record after
/// the header, where a newline inside double quotes does not end a record. TSV: one row per
/// non-blank line after the header.
public struct RowCounter: Sendable {
    public enum Format: Sendable {
        case jsonLines, csv, tsv
    }

    private let format: Format
    private var records: Int64 = 0
    private var lineHasContent = false
    private var inQuotes = false

    /// The counter for a file name's extension, or nil for files without rows.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { format = .jsonLines }
        else if lower.hasSuffix(".csv") { format = .csv }
        else if lower.hasSuffix(".tsv") { format = .tsv }
        else { return nil }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let quoting = format == .csv
        for b in bytes {
            switch b {
            case 0x0A where !inQuotes:
                if lineHasContent { records += 1 }
                lineHasContent = false
            case 0x22 where quoting:
                inQuotes.toggle()
                lineHasContent = true
            case 0x20, 0x09, 0x0D:
                break
            default:
                lineHasContent = true
            }
        }
    }

    /// Rows seen; a last line without a newline counts.
    public var rows: Int64 {
        let total = records + (lineHasContent ? 1 : 0)
        return format == .jsonLines ? total : max(0, total - 1)
    }
}
