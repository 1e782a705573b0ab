import Foundation

/// Runs blocking work side by side (network transfers, syncs): each waits on a server or a
/// disk most of the time, so more of them than there are cores keep it busy (GCD's pool would
/// run only one per core).
public enum Parallel {
    /// Transfers in flight at once.
    public static let width = 8

    /// Calls `body` on every item from `width` threads; the first error stops the others
    /// taking new items and is rethrown.
    public static func forEach<T>(_ items: [T], width: Int = Parallel.width, _ body: @escaping (T) throws -> Void) throws {
        guard items.count > 1 else { return try items.forEach(body) }
        let state = State()
        let group = DispatchGroup()
        for _ in 0 ..< min(width, items.count) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while true {
                    state.lock.lock()
                    guard state.error == nil, state.next < items.count else { state.lock.unlock(); return }
                    let item = items[state.next]
                    state.next += 1
                    state.lock.unlock()
                    do {
                        try body(item)
                    } catch {
                        state.lock.lock()
                        if state.error == nil { state.error = error }
                        state.lock.unlock()
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        if let error = state.error { throw error }
    }

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var error: Error?
    }
}
