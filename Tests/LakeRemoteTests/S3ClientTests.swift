import Foundation
import LakeCatalog
import LakeCore
@testable import LakeRemote
import LakeTestSupport
import Testing

@Suite struct S3ClientTests {
    func client(_ server: S3TestServer, bucket: String) throws -> S3Client {
        try S3Client(endpoint: server.endpoint, bucket: bucket, region: "us-east-1",
                     credentials: S3Credentials(accessKey: server.accessKey, secretKey: server.secretKey))
    }

    /// SigV4's canonical request takes one spelling only: every byte but the unreserved ones
    /// percent-encoded in upper-case hex, `/` kept in paths, the query sorted.
    @Test func keysAndQueriesAreEncodedTheOneWaySigV4Accepts() throws {
        #expect(S3Client.encode("c/sp ace+plus=eq~t%pct-é.txt", keepSlash: true) == "c/sp%20ace%2Bplus%3Deq~t%25pct-%C3%A9.txt")
        #expect(S3Client.encode("a/b", keepSlash: false) == "a%2Fb")
        let c = try S3Client(endpoint: "http://h:1/", bucket: "b", region: "r", credentials: S3Credentials(accessKey: "k", secretKey: "s"))
        #expect(c.url(key: "x y", query: ["prefix": "c/", "list-type": "2", "uploads": ""]) == "http://h:1/b/x%20y?list-type=2&prefix=c%2F&uploads=")
    }

    /// Signing, payload hashes and conditional writes, against RGW, which checks all three.
    @Test func signedRequestsAndConditionalWritesOnRGW() throws {
        let server = try S3TestServer.radosgw()
        let s3 = try client(server, bucket: server.makeBucket())
        let key = "dir/sp ace+plus=eq~%é.txt"
        let body = Array("hello\n".utf8)
        try s3.put(key, .bytes(body), sha256: SHA256Hasher.hash(body).hex)
        #expect(try s3.get(key)?.body == body)
        #expect(try s3.get(key, range: "bytes=1-3")?.body == Array("ell".utf8))
        #expect(try s3.list(prefix: "dir/").map(\.key) == [key])
        #expect(try s3.get("dir/missing") == nil)

        // A body that does not hash to the declared SHA-256 is refused by the server.
        #expect(throws: S3Error.self) { try s3.put("bad", .bytes(body), sha256: SHA256Hasher.hash([1]).hex) }
        #expect(try s3.get("bad") == nil)

        #expect(throws: S3Error.self) { try s3.put(key, .bytes([1]), condition: .absent) }
        let etag = try #require(try s3.head(key)?.etag)
        #expect(!etag.hasPrefix("\""), "ETags are kept unquoted, the form RGW's If-Match honours")
        try s3.put(key, .bytes([2]), condition: .etag(etag))
        do {
            try s3.put(key, .bytes([3]), condition: .etag(etag))
            Issue.record("a stale ETag must not win")
        } catch S3Error.preconditionFailed {}
        do {
            try s3.put("nothing-here", .bytes([3]), condition: .etag(etag))
            Issue.record("If-Match on a missing key must not create it")
        } catch S3Error.preconditionFailed {}
        #expect(try s3.get(key)?.body == [2])

        let wrong = try S3Client(endpoint: server.endpoint, bucket: s3.bucket, region: "us-east-1",
                                 credentials: S3Credentials(accessKey: server.accessKey, secretKey: "wrong"))
        do {
            _ = try wrong.get(key)
            Issue.record("a wrong secret must be refused")
        } catch S3Error.badCredentials(let code, _) {
            #expect(code == "SignatureDoesNotMatch")
        }
    }

    /// A multipart upload reads the file part by part and the server joins the parts.
    @Test func multipartUploadsJoinTheirParts() throws {
        let server = try S3TestServer.radosgw()
        let s3 = try client(server, bucket: server.makeBucket())
        let dir = TempDirectory("lake-s3")
        var random = SeededBytes(seed: 4)
        let data = random.next(11 << 20)
        let path = dir.write("big", data)
        try s3.putMultipart("big", path: path, length: UInt64(data.count), partSize: 5 << 20)
        #expect(try s3.get("big")?.body == Array(data))
        var streamed = Data()
        try s3.stream("big") { streamed.append(contentsOf: $0) }
        #expect(streamed == data)
    }

    @Test func credentialsComeFromTheEnvironmentOrTheCredentialsFile() throws {
        let dir = TempDirectory("lake-creds")
        let file = dir.write("credentials", """
            [default]
            aws_access_key_id = AK1
            aws_secret_access_key = SK1

            [team]
            aws_access_key_id=AK2
            aws_secret_access_key=SK2
            aws_session_token=T2
            """)
        let env = try S3Credentials.load(environment: ["AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SHARED_CREDENTIALS_FILE": file])
        #expect(env.accessKey == "E" && env.secretKey == "S" && env.sessionToken == nil)
        #expect(try S3Credentials.load(environment: ["AWS_SHARED_CREDENTIALS_FILE": file]).accessKey == "AK1")
        let team = try S3Credentials.load(environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "team"])
        #expect(team.accessKey == "AK2" && team.secretKey == "SK2" && team.sessionToken == "T2")
        #expect(throws: S3Error.self) { try S3Credentials.load(environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "none"]) }
    }

    @Test func remoteURLsAndNamesAreChecked() throws {
        #expect(try RemoteConfig.parse("s3://bucket") == ("bucket", ""))
        #expect(try RemoteConfig.parse("s3://my.bucket/team//lake/") == ("my.bucket", "team/lake/"))
        for bad in ["http://bucket/x", "s3://", "s3://Bucket/x", "s3://b/x", "s3://under_score"] {
            #expect(throws: RemoteError.self, "\(bad)") { try RemoteConfig.parse(bad) }
        }
        #expect(throws: RemoteError.self) { try RemoteConfig(name: "../x", url: "s3://bucket", endpoint: nil, region: nil) }
        #expect(throws: RemoteError.self) { try RemoteConfig(name: "o", url: "s3://bucket", endpoint: "127.0.0.1:9000", region: nil) }
        let c = try RemoteConfig(name: "o", url: "s3://bucket", endpoint: nil, region: nil)
        #expect(c.resolvedRegion(["AWS_DEFAULT_REGION": "eu-west-1"]) == "eu-west-1")
        #expect(c.resolvedRegion([:]) == "us-east-1")
    }
}
