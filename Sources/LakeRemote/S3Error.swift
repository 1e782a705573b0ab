import Foundation
import LakeCore

/// What an S3 request can end in, besides success.
public enum S3Error: LakeFailure {
    /// 403: the keys are wrong or lack the right (never retried).
    case badCredentials(code: String, key: String)
    case notFound(key: String)
    case noSuchBucket(bucket: String, endpoint: String)
    /// 412: a conditional write's condition did not hold.
    case preconditionFailed(key: String)
    /// Any other answer outside 2xx (after retries when it was a 5xx).
    case server(status: Int, code: String, message: String, key: String)
    /// The connection failed or broke (after retries).
    case transport(message: String, url: String)
    /// A conditional write got no clear answer: it may or may not have happened.
    case uncertain(key: String, cause: String)
    case noCredentials
    /// libcurl could not be loaded (remotes need it; local commands do not).
    case noLibcurl(path: String, reason: String)

    init(status: Int, body: [UInt8], key: String, bucket: String, endpoint: String) {
        let xml = String(decoding: body, as: UTF8.self)
        let code = XML.value("Code", in: xml) ?? ""
        switch status {
        case 403: self = .badCredentials(code: code, key: key)
        case 404 where code == "NoSuchBucket": self = .noSuchBucket(bucket: bucket, endpoint: endpoint)
        case 404: self = .notFound(key: key)
        case 412: self = .preconditionFailed(key: key)
        default: self = .server(status: status, code: code, message: XML.value("Message", in: xml) ?? "", key: key)
        }
    }

    /// 5xx answers and broken connections may pass: try again.
    var isRetryable: Bool {
        switch self {
        case .server(let status, _, _, _): return status >= 500
        case .transport: return true
        default: return false
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .notFound, .noSuchBucket: return .notFound
        case .preconditionFailed: return .conflict
        case .noCredentials: return .usage
        case .badCredentials, .server, .transport, .uncertain, .noLibcurl: return .failure
        }
    }

    public var description: String {
        switch self {
        case .badCredentials(let code, let key):
            return "the S3 server refused the credentials for '\(key)' (403 \(code.isEmpty ? "Forbidden" : code)); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or ~/.aws/credentials) and the bucket's permissions"
        case .notFound(let key):
            return "'\(key)' is not on the S3 server; check the remote's URL with 'lake remote ls'"
        case .noSuchBucket(let bucket, let endpoint):
            return "there is no bucket '\(bucket)' at \(endpoint); create it (for example 'aws s3 mb s3://\(bucket)'), or fix the remote's URL"
        case .preconditionFailed(let key):
            return "'\(key)' changed on the S3 server meanwhile"
        case .server(let status, let code, let message, let key):
            let detail = [code, message].filter { !$0.isEmpty }.joined(separator: ": ")
            return "the S3 server answered \(status)\(detail.isEmpty ? "" : " (\(detail))") for '\(key)'; retry later, or check the remote's endpoint"
        case .transport(let message, let url):
            return "cannot reach the S3 server for \(url): \(message); check the endpoint with 'lake remote ls' and the network, then retry"
        case .uncertain(let key, let cause):
            return "a conditional write of '\(key)' got no clear answer (\(cause)); nothing is assumed written: retry"
        case .noCredentials:
            return "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add them to ~/.aws/credentials (AWS_PROFILE picks a section)"
        case .noLibcurl(let path, let reason):
            return "remotes need libcurl 7.75 or later, and \(path) could not be loaded (\(reason)); install it ('apt-get install libcurl4'), or set LAKE_LIBCURL to its path"
        }
    }
}

/// AWS credentials, from the environment or `~/.aws/credentials`; never stored by Lake.
public struct S3Credentials: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; else the section
    /// `AWS_PROFILE` (or `default`) of `AWS_SHARED_CREDENTIALS_FILE` (or `~/.aws/credentials`).
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Credentials {
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !key.isEmpty, !secret.isEmpty {
            return S3Credentials(accessKey: key, secretKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw S3Error.noCredentials }
        let profile = environment["AWS_PROFILE"] ?? "default"
        var section: String?
        var values = [String: String]()
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
            } else if section == profile, let eq = line.firstIndex(of: "=") {
                values[line[..<eq].trimmingCharacters(in: .whitespaces)] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
        }
        guard let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else { throw S3Error.noCredentials }
        return S3Credentials(accessKey: key, secretKey: secret, sessionToken: values["aws_session_token"])
    }
}
