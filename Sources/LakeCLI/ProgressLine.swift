import Foundation

/// A `label: done/total (percent)` line redrawn on stderr, at most ten times a second, only
/// when stderr is a terminal (never in pipes, logs or CI) and not with --quiet or --json.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    private init(label: String) { self.label = label }

    static func forTerminal(_ global: GlobalOptions, label: String) -> ProgressLine? {
        guard !global.quiet, !global.json, isatty(STDERR_FILENO) == 1 else { return nil }
        return ProgressLine(label: label)
    }

    func update(_ done: Int, _ total: Int) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = now
        drawn = true
        let percent = total == 0 ? 100 : done * 100 / total
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total) (\(percent)%)\u{1B}[K".utf8))
    }

    var callback: @Sendable (Int, Int) -> Void {
        { [self] done, total in update(done, total) }
    }

    /// Clears the line, so that what is printed next starts clean.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
