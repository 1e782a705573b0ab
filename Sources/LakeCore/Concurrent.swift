import Foundation

/// A value computed on a thread of its own while the caller does other work.
public final class Concurrent<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    public init(_ body: @escaping () throws -> T) {
        let thread = Thread { [self] in
            result = Result(catching: body)
            done.signal()
        }
        thread.start()
    }

    /// Waits for the value, or rethrows what computing it threw.
    public func value() throws -> T {
        done.wait()
        return try result!.get()
    }
}
