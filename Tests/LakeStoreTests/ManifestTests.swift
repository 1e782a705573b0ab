import Foundation
import LakeCore
import LakeStore
import Testing

@Suite struct ManifestTests {
    static let hello = SHA256Hasher.hash(Array("hello\n".utf8))
    static let abc = SHA256Hasher.hash(Array("abc".utf8))
    static let linkTarget = SHA256Hasher.hash(Array("a.txt".utf8))

    static var entries: [ManifestEntry] {
        [ManifestEntry(path: "link", mode: ManifestEntry.symlink, size: 5, object: linkTarget),
         ManifestEntry(path: "bin/run\nline", mode: ManifestEntry.executable, size: 3, object: abc),
         ManifestEntry(path: "a.txt", mode: ManifestEntry.regular, size: 6, object: hello)]
    }

    /// The snapshot ID is pinned: computed with `printf … | sha256sum` from the bytes that
    /// docs/format.md specifies. If this fails, the format changed: that needs a new version.
    @Test func goldenSnapshotID() throws {
        let manifest = try Manifest(entries: Self.entries)
        let text = String(decoding: manifest.encoded(), as: UTF8.self)
        #expect(text == """
            lake-manifest v1
            100644 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 a.txt
            100755 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad bin/run%0Aline
            120000 5 18b7cb099a9ea3f50ba899b5ba81e0d377a5f3b16f8f6eeb8b3e58cd4692b993 link

            """)
        #expect(manifest.id.description == "sha256:fab2c0d057422b5192e20983ca2067404b4e6421f07255dc8e672db203dfea22")
    }

    @Test func idDoesNotDependOnEntryOrder() throws {
        let a = try Manifest(entries: Self.entries)
        let b = try Manifest(entries: Self.entries.reversed())
        #expect(a.id == b.id)
    }

    @Test func decodeRoundTripsEscapedAndUnicodePaths() throws {
        var entries = Self.entries
        entries.append(ManifestEntry(path: "données/日本 語%.csv", mode: ManifestEntry.regular, size: 6, object: Self.hello))
        entries.append(ManifestEntry(path: "tab\there\r", mode: ManifestEntry.regular, size: 6, object: Self.hello))
        let manifest = try Manifest(entries: entries)
        let decoded = try Manifest(decoding: manifest.encoded())
        #expect(decoded == manifest)
        #expect(decoded.entries.map(\.path).contains("tab\there\r"))
    }

    @Test(arguments: ["/etc/passwd", "../up", "a/./b", "a//b", "a/", "", ".", "a/..", "nul\0byte", "..", "x/../y", "ok%0A/./x"])
    func pathsThatCouldEscapeACheckoutAreRefused(_ path: String) {
        // Refused wherever the path sorts among safe ones: the check runs as each is encoded.
        let others = ["0", "m", "~"].map { ManifestEntry(path: $0, mode: ManifestEntry.regular, size: 6, object: Self.hello) }
        #expect(throws: StoreError.self) {
            try Manifest(entries: others + [ManifestEntry(path: path, mode: ManifestEntry.regular, size: 6, object: Self.hello)])
        }
        #expect(!Manifest.isSafePath(path))
    }

    @Test(arguments: [".hidden", "a/...", "..x", "x..", "a/.b/c"])
    func dotsInsideNamesAreFine(_ path: String) throws {
        #expect(try Manifest(entries: [ManifestEntry(path: path, mode: ManifestEntry.regular, size: 6, object: Self.hello)]).entries.count == 1)
        #expect(Manifest.isSafePath(path))
    }

    @Test func duplicatePathsAreRefused() {
        #expect(throws: StoreError.self) {
            try Manifest(entries: [Self.entries[0], Self.entries[0]])
        }
    }

    @Test(arguments: [
        "lake-manifest v2\n",
        "lake-manifest v1\n100644 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 a.txt",
        "lake-manifest v1\n100600 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 a.txt\n",
        "lake-manifest v1\n100644 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 b\n100644 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 a\n",
        "lake-manifest v1\n100644 6 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 a%0a\n",
        "lake-manifest v1\n100644 06 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 a\n",
    ])
    func nonCanonicalBytesAreRefused(_ text: String) {
        #expect(throws: StoreError.self) { try Manifest(decoding: Array(text.utf8)) }
    }
}
