import Foundation
import LakeCore
import Testing

@Suite struct IdentifierTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256Hasher.hash([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hasher.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var incremental = SHA256Hasher()
        incremental.update(Array("ab".utf8))
        incremental.update(Array("c".utf8))
        #expect(incremental.finalize() == SHA256Hasher.hash(Array("abc".utf8)))
    }

    @Test func anObjectIDReadsItsDigestFromAnyBytes() {
        let id = SHA256Hasher.hash(Array("abc".utf8))
        let padded = [0xAA] + id.digest + [0xBB]
        #expect(ObjectID(digest: padded[1 ... 32]) == id, "a slice, contiguous")
        #expect(ObjectID(digest: id.digest.lazy.map { $0 }) == id, "a collection without contiguous storage")
        #expect(padded.withUnsafeBytes { ObjectID(digest: UnsafeRawBufferPointer(rebasing: $0[1 ... 32])) } == id)
    }

    /// Paths and names read from disk are checked as UTF-8 by `String(validUTF8:)`: a
    /// replacement character that was in the bytes is kept; one that decoding would put in is
    /// refused.
    @Test(arguments: [
        ([UInt8](), true), (Array("runs/a.jsonl".utf8), true), (Array("é/日本/😀".utf8), true), ([0xEF, 0xBF, 0xBD], true),
        ([0xFF], false), ([0x61, 0xEF, 0xBF], false), ([0xC0, 0xAF], false), ([0xED, 0xA0, 0x80], false), ([0x80, 0x61], false),
    ])
    func validUTF8AcceptsExactlyWellFormedBytes(bytes: [UInt8], valid: Bool) {
        let string = String(validUTF8: bytes)
        #expect((string != nil) == valid)
        if let string { #expect(Array(string.utf8) == bytes) }
        #expect((String(validUTF8: bytes.lazy.map { $0 }) != nil) == valid, "the same without contiguous storage")
    }

    @Test func objectIDRoundTripsThroughText() throws {
        let id = SHA256Hasher.hash(Array("hello\n".utf8))
        #expect(id.description == "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect(id.short == "5891b5b522d5")
        #expect(try ObjectID(parsing: id.description) == id)
        #expect(try ObjectID(parsing: id.hex) == id)
        #expect(id.digest.count == 32)
    }

    @Test(arguments: ["", "sha256:", "sha256:abc", "sha256:" + String(repeating: "G", count: 64),
                      "sha256:" + String(repeating: "A", count: 64), "md5:" + String(repeating: "a", count: 64),
                      "sha256:" + String(repeating: "a", count: 65), "sha256:sha256:" + String(repeating: "a", count: 64)])
    func objectIDRefusesMalformedText(_ text: String) {
        #expect(throws: CoreError.invalidObjectID(text)) { try ObjectID(parsing: text) }
    }

    @Test(arguments: ["runs/passX", "corpus/combined/permissive", "field/_current/MERGED", "a", "v1.2-final_x"])
    func namesAccepted(_ name: String) throws {
        #expect(try DatasetName(name).rawValue == name)
        #expect(try RefName(name).rawValue == name)
    }

    @Test(arguments: [("", "it is empty"), ("/runs", "empty segment"), ("runs/", "empty segment"), ("a//b", "empty segment"),
                      ("a/../b", "'..' segment"), ("runs@2", "'@'"), ("a b", "' '"), ("x:y", "':'"), ("é", "'\\u{00E9}'"),
                      (String(repeating: "a", count: 201), "longer than 200")])
    func namesRefusedWithTheReason(_ name: String, _ reason: String) {
        do {
            _ = try DatasetName(name)
            Issue.record("'\(name)' was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(reason), "\(message)")
            #expect(message.contains("letters, digits"), "the message says what is allowed")
        }
    }

    @Test func kindParsesKnownKindsOnly() throws {
        #expect(try Kind(parsing: "ledger") == .ledger)
        #expect(throws: CoreError.self) { try Kind(parsing: "table") }
        #expect("\(CoreError.invalidKind("table", allowed: Kind.allCases.map(\.rawValue)))".contains("quarantine"))
    }

    @Test func numbersAreZeroPaddedAsPrintfDoes() {
        #expect(7.zeroPadded(3) == "007")
        #expect(2026.zeroPadded(4) == "2026")
        #expect(123_456.zeroPadded(2) == "123456")
        #expect(0.zeroPadded(2) == "00")
        #expect(UInt64(0x19a2b).zeroPadded(11, radix: 16) == "00000019a2b")
        #expect(UInt32(0xfffff).zeroPadded(5, radix: 16) == "fffff")
    }

    @Test func timestampsSortAsText() {
        let a = Timestamp.string(Date(timeIntervalSince1970: 1_700_000_000.5))
        #expect(a == "2023-11-14T22:13:20.500Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_700_000_001)) > a)
        // Every field is zero-padded to its width.
        #expect(Timestamp.string(Date(timeIntervalSince1970: 946_782_245.007)) == "2000-01-02T03:04:05.007Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.date(Timestamp.string(Date(timeIntervalSince1970: 946_782_245.007))) == Date(timeIntervalSince1970: 946_782_245.007))
    }
}
