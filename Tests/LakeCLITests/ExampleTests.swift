import Foundation
import LakeTestSupport
import Testing

/// Every example in examples/ runs end to end against the built binary: iterations, a cached
/// rerun, a blocking gate, retention, a reproduce and the example's SQL answers, each checked
/// by the example script itself (examples/lib.sh `check`), which exits non-zero on a miss.
@Suite struct ExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: ["rff", "card-qc", "rarity", "ml-stage2", "natural-corpus"])
    func exampleRunsAndItsAnswersHold(_ name: String) throws {
        let dir = TempDirectory("lake-example")
        let script = Self.repository.appendingPathComponent("examples/\(name)/example.sh").path
        let r = try LakeCLI.run(["bash", script, dir.at("w")], cwd: dir.path, environment: ["LAKE": LakeCLI.binary],
                                prefix: ["/usr/bin/env"], replacingBinary: true)
        #expect(r.status == 0, "examples/\(name) failed:\n\(r.stdout.suffix(3000))\n\(r.stderr.suffix(3000))")
        #expect(r.stdout.contains("ok: "), "the example checked nothing")
        #expect(!r.stdout.contains("CHECK FAILED") && !r.stderr.contains("CHECK FAILED"))
    }
}
