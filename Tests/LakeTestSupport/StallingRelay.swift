import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay in front of a test server that forwards, over all its connections together, the
/// first `limit` bytes clients send and then holds the rest; answers always pass. `open()` cuts
/// the connections it held, so no byte past the limit ever arrives, and lets later ones through.
/// A test stops a transfer at a known point with it, where waiting for the transfer to get
/// somewhere and then killing it would depend on how busy the machine is.
public final class StallingRelay: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`: give this to the client instead of the server's endpoint.
    public let endpoint: String
    private let listener: Int32
    private let upstreamPort: UInt16
    private let state = NSCondition()
    private var remaining: Int
    private var stalled = false
    private var isOpen = false

    /// A relay to `upstream` (`http://127.0.0.1:PORT`) that holds client bytes after `limit` of
    /// them. It serves until `stop()`.
    public init(to upstream: String, limit: Int) throws {
        guard let port = upstream.split(separator: ":").last.flatMap({ UInt16($0) }), upstream.hasPrefix("http://127.0.0.1:") else {
            throw S3TestServerError("StallingRelay: \(upstream) is not http://127.0.0.1:PORT")
        }
        upstreamPort = port
        remaining = limit
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        guard fd >= 0, bound == 0, named == 0, listen(fd, 64) == 0 else {
            throw S3TestServerError("StallingRelay: cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        endpoint = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        Thread.detachNewThread { [self] in acceptConnections() }
    }

    /// Takes no more connections; those open end when their client closes.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Waits until clients have sent more than `limit` bytes and the relay holds some; false
    /// if that has not happened within `timeout` seconds.
    public func waitUntilStalled(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        state.lock()
        defer { state.unlock() }
        while !stalled { guard state.wait(until: deadline) else { return stalled } }
        return true
    }

    /// Cuts the connections made so far once they reach the limit, and forwards everything on
    /// those made from now on.
    public func open() {
        state.lock()
        isOpen = true
        state.broadcast()
        state.unlock()
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptConnections() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(server); continue }
            // Each direction ends by shutting down the other side's writes; the second to end closes both.
            let ends = Ends(client, server)
            state.lock()
            let limited = !isOpen
            state.unlock()
            Thread.detachNewThread { [self] in pump(from: client, to: server, limited: limited); ends.finish() }
            Thread.detachNewThread { [self] in pump(from: server, to: client, limited: false); ends.finish() }
        }
    }

    private final class Ends: @unchecked Sendable {
        let lock = NSLock()
        var left = 2
        let fds: (Int32, Int32)
        init(_ a: Int32, _ b: Int32) { fds = (a, b) }
        func finish() {
            lock.lock()
            left -= 1
            let last = left == 0
            lock.unlock()
            if last { close(fds.0); close(fds.1) }
        }
    }

    /// Forwards until `source` ends, then ends `destination`'s writes. When `limited` and the
    /// limit is reached, waits for `open()` and cuts the connection both ways instead (the
    /// other direction's thread then reads its end).
    private func pump(from source: Int32, to destination: Int32, limited: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            let allowed = limited ? take(n) : n
            guard sendAll(destination, buffer, allowed) else { break }
            if allowed < n {
                holdUntilOpen()
                shutdown(source, Int32(SHUT_RDWR))
                shutdown(destination, Int32(SHUT_RDWR))
                return
            }
        }
        shutdown(destination, Int32(SHUT_WR))
    }

    /// How many of `n` bytes may pass within the limit.
    private func take(_ n: Int) -> Int {
        state.lock()
        defer { state.unlock() }
        let allowed = min(n, remaining)
        remaining -= allowed
        return allowed
    }

    private func holdUntilOpen() {
        state.lock()
        stalled = true
        state.broadcast()
        while !isOpen { state.wait() }
        state.unlock()
    }

    /// Writes the first `count` bytes; false once the peer is gone (MSG_NOSIGNAL: no SIGPIPE).
    private func sendAll(_ fd: Int32, _ bytes: [UInt8], _ count: Int) -> Bool {
        var sent = 0
        while sent < count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}
