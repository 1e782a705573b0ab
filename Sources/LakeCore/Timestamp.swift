import Foundation

/// Catalog timestamps: UTC, millisecond precision, `2026-11-22T10:15:00.123Z`, so that they
/// sort as text and SQLite's date functions read them.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        let (year, month, day) = (parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
        return "\(year.zeroPadded(4))-\(month.zeroPadded(2))-\(day.zeroPadded(2))T\(parts.tm_hour.zeroPadded(2)):"
            + "\(parts.tm_min.zeroPadded(2)):\(parts.tm_sec.zeroPadded(2)).\((ms % 1000).zeroPadded(3))Z"
    }

    public static func now() -> String { string(Date()) }

    /// Parses what `string(_:)` writes.
    public static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}
