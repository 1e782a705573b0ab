import CCurl
import Foundation
import LakeCore

/// An S3 bucket spoken to over HTTP(S) through libcurl, with path-style addressing
/// (`ENDPOINT/BUCKET/KEY`), which AWS, Ceph RGW, MinIO and moto all accept.
///
/// Requests are signed with AWS SigV4 by libcurl (`CURLOPT_AWS_SIGV4`). libcurl 7.88 signs the
/// path and query exactly as given and takes the payload hash from `x-amz-content-sha256`, so
/// this client encodes the key, sorts and encodes the query, and sends that header itself
/// (docs/s3-servers.md, "SigV4 details"). Uploads of objects whose SHA-256 is known (every
/// Lake object is named by it) send the real hash, so the server refuses bytes damaged on the
/// way; parts of multipart uploads and bodies of unknown hash are sent `UNSIGNED-PAYLOAD`.
///
/// Idempotent requests are retried with exponential backoff on 5xx answers and connection
/// errors; a 403 is bad credentials and is never retried (`S3Error`).
public final class S3Client: @unchecked Sendable {
    public let endpoint: String
    public let bucket: String
    public let region: String
    private let credentials: S3Credentials
    private let lock = NSLock()
    /// Finished handles, kept so that the next request reuses their connections.
    private var idle: [UnsafeMutableRawPointer] = []

    /// Retries after the first attempt of an idempotent request, waiting 0.1 s, 0.2 s, … 3.2 s.
    static let retries = 6

    /// Loads libcurl on first use: `$LAKE_LIBCURL`, else `libcurl.so.4`.
    public init(endpoint: String, bucket: String, region: String, credentials: S3Credentials) throws {
        let path = Environment.value("LAKE_LIBCURL")
        var reason = [CChar](repeating: 0, count: 512)
        guard lake_curl_load(path, &reason, reason.count) == 0 else {
            throw S3Error.noLibcurl(path: path ?? "libcurl.so.4", reason: String(cString: reason))
        }
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.bucket = bucket
        self.region = region
        self.credentials = credentials
    }

    deinit {
        for handle in idle { lake_curl_easy_cleanup(handle) }
    }

    public enum Body {
        case none
        case bytes([UInt8])
        /// `length` bytes of the file at `path` from `offset`, read as they are sent.
        case file(path: String, offset: UInt64, length: UInt64)

        var length: UInt64 {
            switch self {
            case .none: return 0
            case .bytes(let b): return UInt64(b.count)
            case .file(_, _, let length): return length
            }
        }
    }

    public struct Response: Sendable {
        public var status: Int
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: [UInt8]

        /// The ETag without its quotes: RGW honours `If-Match` only in that form.
        public var etag: String? { headers["etag"].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } }
    }

    /// The hash of no bytes, the payload hash of a request without a body.
    static let emptyPayloadHash = SHA256Hasher.hash([]).hex

    // MARK: Operations

    /// GET: the object's bytes (or `range`, as `bytes=A-B` / `bytes=-N`); nil when it is missing.
    public func get(_ key: String, range: String? = nil) throws -> Response? {
        do {
            return try withRetries(key) { try send("GET", key: key, headers: range.map { ["Range": $0] } ?? [:]) }
        } catch S3Error.notFound {
            return nil
        }
    }

    /// GET, handing the body to `sink` in chunks as it arrives. Not retried here: the caller
    /// retries the whole transfer, since `sink` has seen part of it.
    public func stream(_ key: String, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = try withoutActuallyEscaping(sink) { try send("GET", key: key, sink: $0) }
    }

    /// HEAD: the ETag and size, or nil when the object is missing.
    public func head(_ key: String) throws -> (etag: String, size: UInt64)? {
        do {
            let r = try withRetries(key) { try send("HEAD", key: key) }
            return (r.etag ?? "", UInt64(r.headers["content-length"] ?? "") ?? 0)
        } catch S3Error.notFound {
            return nil
        }
    }

    /// What a conditional PUT requires of the key.
    public enum Condition: Sendable {
        /// The key must not exist (`If-None-Match: *`).
        case absent
        /// The key's ETag must be this one (`If-Match`, sent unquoted).
        case etag(String)
    }

    /// PUT. `sha256` is the body's hash in hex when known. An unconditional PUT is retried;
    /// a conditional one is sent once: a 412 throws `S3Error.preconditionFailed`, and a 5xx or
    /// a broken connection throws `S3Error.uncertain`, since the write may have happened (RGW
    /// answers 500 to some losers of a compare-and-swap race): the caller reads the key back.
    @discardableResult
    public func put(_ key: String, _ body: Body, sha256: String? = nil, condition: Condition? = nil) throws -> Response {
        var headers = ["Content-Type": "application/octet-stream"]
        switch condition {
        case .none: break
        case .absent: headers["If-None-Match"] = "*"
        case .etag(let etag): headers["If-Match"] = etag
        }
        guard condition != nil else {
            return try withRetries(key) { try send("PUT", key: key, headers: headers, body: body, payloadHash: sha256) }
        }
        do {
            return try send("PUT", key: key, headers: headers, body: body, payloadHash: sha256)
        } catch let e as S3Error where e.isRetryable {
            throw S3Error.uncertain(key: key, cause: e.description)
        } catch S3Error.notFound {
            // If-Match on a missing key: 412 from RGW, 404 from AWS and moto.
            throw S3Error.preconditionFailed(key: key)
        }
    }

    public func delete(_ key: String) throws {
        do { _ = try withRetries(key) { try send("DELETE", key: key) } } catch S3Error.notFound {}
    }

    /// Every key under `prefix` after `startAfter`, in key order, with its size.
    public func list(prefix: String, startAfter: String? = nil) throws -> [(key: String, size: UInt64)] {
        var out = [(key: String, size: UInt64)]()
        var token: String?
        repeat {
            var query = ["list-type": "2", "prefix": prefix]
            if let token { query["continuation-token"] = token } else if let startAfter { query["start-after"] = startAfter }
            let r = try withRetries(prefix) { try send("GET", key: nil, query: query) }
            let xml = String(decoding: r.body, as: UTF8.self)
            for item in XML.elements("Contents", in: xml) {
                guard let key = XML.value("Key", in: item) else { continue }
                out.append((key, UInt64(XML.value("Size", in: item) ?? "") ?? 0))
            }
            token = XML.value("IsTruncated", in: xml) == "true" ? XML.value("NextContinuationToken", in: xml) : nil
        } while token != nil
        return out
    }

    /// Creates the bucket (for tests and `lake remote add --create-bucket`); an existing bucket
    /// owned by the caller is fine.
    public func createBucket() throws {
        do {
            _ = try withRetries(bucket) { try send("PUT", key: nil) }
        } catch S3Error.server(409, _, _, _) {}
    }

    // MARK: Multipart

    /// Uploads `length` bytes of a file as a multipart upload of `partSize` parts, for objects
    /// too large for one PUT to be retried cheaply. Parts are retried one by one; an upload that
    /// fails is aborted.
    public func putMultipart(_ key: String, path: String, length: UInt64, partSize: UInt64) throws {
        let created = try withRetries(key) { try send("POST", key: key, query: ["uploads": ""], body: .bytes([])) }
        guard let uploadID = XML.value("UploadId", in: String(decoding: created.body, as: UTF8.self)) else {
            throw S3Error.server(status: created.status, code: "NoUploadId", message: "CreateMultipartUpload answered without an UploadId", key: key)
        }
        do {
            var parts = [String]()
            var offset: UInt64 = 0
            while offset < length {
                let size = min(partSize, length - offset)
                let number = parts.count + 1
                let r = try withRetries(key) {
                    try send("PUT", key: key, query: ["partNumber": "\(number)", "uploadId": uploadID],
                             body: .file(path: path, offset: offset, length: size))
                }
                parts.append("<Part><PartNumber>\(number)</PartNumber><ETag>\(r.headers["etag"] ?? "")</ETag></Part>")
                offset += size
            }
            let xml = "<CompleteMultipartUpload>" + parts.joined() + "</CompleteMultipartUpload>"
            let done = try withRetries(key) { try send("POST", key: key, query: ["uploadId": uploadID], body: .bytes(Array(xml.utf8))) }
            // A 200 can still carry an error (S3 reports late failures in the body).
            if let code = XML.value("Code", in: String(decoding: done.body, as: UTF8.self)) {
                throw S3Error.server(status: done.status, code: code, message: "CompleteMultipartUpload failed", key: key)
            }
        } catch {
            _ = try? send("DELETE", key: key, query: ["uploadId": uploadID])
            throw error
        }
    }

    // MARK: Requests

    /// Runs `body` again after a retryable failure, up to `retries` times with backoff.
    public func withRetries<T>(_ key: String, _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch let e as S3Error where e.isRetryable && attempt < Self.retries {
                usleep(useconds_t(100_000 << attempt) + useconds_t.random(in: 0 ..< 50_000))
                attempt += 1
            }
        }
    }

    /// Percent-encodes every byte but `A-Z a-z 0-9 - . _ ~` (and `/` when `keepSlash`), with
    /// upper-case hex: the one spelling SigV4's canonical request accepts.
    static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "0") ... UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += "%" + byte.zeroPadded(2, radix: 16).uppercased()
            }
        }
        return out
    }

    /// The request's URL: path-style, the key encoded, the query sorted and encoded.
    func url(key: String?, query: [String: String]) -> String {
        var url = endpoint + "/" + bucket
        if let key { url += "/" + Self.encode(key, keepSlash: true) }
        if !query.isEmpty {
            url += "?" + query.map { (Self.encode($0.key, keepSlash: false), Self.encode($0.value, keepSlash: false)) }
                .sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        }
        return url
    }

    /// One request, one attempt. Any status outside 2xx becomes an `S3Error`.
    func send(_ method: String, key: String?, query: [String: String] = [:], headers: [String: String] = [:], body: Body = .none,
              payloadHash: String? = nil, sink: ((UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> Response {
        let handle = checkout()
        defer { checkin(handle) }
        let transfer = try Transfer(handle: handle, body: body, sink: sink)
        defer { transfer.close() }
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        let target = key ?? bucket
        let url = self.url(key: key, query: query)

        var list: UnsafeMutablePointer<curl_slist>?
        var all = headers
        let hasBody: Bool
        if case .none = body { hasBody = false } else { hasBody = true }
        all["x-amz-content-sha256"] = payloadHash ?? (hasBody ? "UNSIGNED-PAYLOAD" : Self.emptyPayloadHash)
        if let token = credentials.sessionToken { all["x-amz-security-token"] = token }
        for (name, value) in all { list = lake_curl_slist_append(list, "\(name): \(value)") }
        defer { lake_curl_slist_free_all(list) }

        lake_curl_set_string(handle, CURLOPT_URL, url)
        lake_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list)
        lake_curl_set_string(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(region):s3")
        lake_curl_set_string(handle, CURLOPT_USERNAME, credentials.accessKey)
        lake_curl_set_string(handle, CURLOPT_PASSWORD, credentials.secretKey)
        lake_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        // Send a large body at once instead of waiting up to a second for `100 Continue`.
        // (Removing the Expect header with "Expect:" would not do: curl signs it anyway.)
        lake_curl_set_long(handle, CURLOPT_EXPECT_100_TIMEOUT_MS, 0)
        lake_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, 10)
        // A transfer that moves nothing for a minute is dead: fail it, so it can be retried.
        lake_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        lake_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, 60)
        lake_curl_set_function(handle, CURLOPT_HEADERFUNCTION, Transfer.onHeader)
        lake_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        lake_curl_set_function(handle, CURLOPT_WRITEFUNCTION, Transfer.onData)
        lake_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        switch method {
        case "HEAD":
            lake_curl_set_long(handle, CURLOPT_NOBODY, 1)
        case "GET":
            lake_curl_set_long(handle, CURLOPT_HTTPGET, 1)
        default:
            lake_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method)
            if hasBody || method == "PUT" {
                lake_curl_set_long(handle, CURLOPT_UPLOAD, 1)
                lake_curl_set_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.length))
                lake_curl_set_function(handle, CURLOPT_READFUNCTION, Transfer.onRead)
                lake_curl_set_pointer(handle, CURLOPT_READDATA, context)
            }
        }
        let code = lake_curl_easy_perform(handle)
        if let error = transfer.error { throw error }
        guard code == CURLE_OK else {
            throw S3Error.transport(message: String(cString: lake_curl_easy_strerror(code)), url: url)
        }
        let status = lake_curl_status(handle)
        let response = Response(status: status, headers: transfer.headers, body: transfer.received)
        guard (200 ..< 300).contains(status) else { throw S3Error(status: status, body: response.body, key: target, bucket: bucket, endpoint: endpoint) }
        return response
    }

    private func checkout() -> UnsafeMutableRawPointer {
        lock.lock()
        if let handle = idle.popLast() {
            lock.unlock()
            lake_curl_easy_reset(handle)
            return handle
        }
        lock.unlock()
        return lake_curl_easy_init()
    }

    private func checkin(_ handle: UnsafeMutableRawPointer) {
        lock.lock()
        idle.append(handle)
        lock.unlock()
    }
}

/// The state of one request while libcurl runs it: what to send and what came back.
private final class Transfer {
    let handle: UnsafeMutableRawPointer
    let sink: ((UnsafeRawBufferPointer) throws -> Void)?
    var headers: [String: String] = [:]
    var received: [UInt8] = []
    var error: Error?
    private var bytes: [UInt8] = []
    private var fd: Int32 = -1
    private var path = ""
    private var offset: UInt64 = 0
    private var remaining: UInt64 = 0

    init(handle: UnsafeMutableRawPointer, body: S3Client.Body, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws {
        self.handle = handle
        self.sink = sink
        switch body {
        case .none: break
        case .bytes(let b):
            bytes = b
            remaining = UInt64(b.count)
        case .file(let path, let offset, let length):
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError("open", path: path) }
            self.path = path
            self.offset = offset
            remaining = length
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> Transfer {
        Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    }

    static let onHeader: lake_curl_io = { buffer, size, count, context in
        let t = from(context)
        let n = size * count
        let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: n), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line (after `100 Continue`, or a redirect): its headers start over.
            t.headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            t.headers[name] = value
            // A body kept in memory (a whole pack) is received into one allocation.
            if name == "content-length", t.sink == nil, let n = Int(value), n < 1 << 30 { t.received.reserveCapacity(n) }
        }
        return n
    }

    static let onData: lake_curl_io = { buffer, size, count, context in
        let t = from(context)
        let n = size * count
        let chunk = UnsafeRawBufferPointer(start: buffer, count: n)
        let status = lake_curl_status(t.handle)
        guard let sink = t.sink, (200 ..< 300).contains(status) else {
            t.received.append(contentsOf: chunk)
            return n
        }
        do {
            try sink(chunk)
            return n
        } catch {
            t.error = error
            return 0
        }
    }

    static let onRead: lake_curl_io = { buffer, size, count, context in
        let t = from(context)
        let want = Int(min(UInt64(size * count), t.remaining))
        guard want > 0, let buffer else { return 0 }
        if t.fd >= 0 {
            let n = pread(t.fd, buffer, want, off_t(t.offset))
            guard n > 0 else {
                t.error = n < 0 ? SystemError("read", path: t.path) : S3Error.transport(message: "\(t.path) is shorter than it was", url: t.path)
                return Int(CURL_READFUNC_ABORT)
            }
            t.offset += UInt64(n)
            t.remaining -= UInt64(n)
            return n
        }
        let start = t.bytes.count - Int(t.remaining)
        t.bytes.withUnsafeBytes { src in
            UnsafeMutableRawPointer(buffer).copyMemory(from: src.baseAddress! + start, byteCount: want)
        }
        t.remaining -= UInt64(want)
        return want
    }
}

/// Just enough XML for S3's answers: the text of named elements, entities decoded.
enum XML {
    static func elements(_ name: String, in xml: String) -> [Substring] {
        var out = [Substring]()
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound ..< rest.endIndex) {
            out.append(rest[open.upperBound ..< close.lowerBound])
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func value<S: StringProtocol>(_ name: String, in xml: S) -> String? {
        guard let text = elements(name, in: String(xml)).first else { return nil }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
