import Foundation
import LakeKit
import LakeTestSupport
@testable import LakeTransforms
import Testing

@Suite struct PipelineFileTests {
    func load(_ text: String) throws -> Pipeline {
        let dir = TempDirectory()
        return try Pipeline.load(dir.write("lake.yaml", text))
    }

    @Test func stagesCommandsParamsAndInputsParse() throws {
        let p = try load("""
            version: 1
            stages:
              export:
                command: python3 export.py --limit 10
                outputs: {words: step1/words:run}
              score:
                command: [python3, score.py]
                inputs: {words: export.words, anchors: anchors/_current, old: runs/passX@latest}
                outputs: {scores: runs/passX:run}
                params: {batch: 32, temperature: 0.5, dry: false, model: "32", tags: [a, b], nothing: null}
                code: [score.py, lib/util.py]
                env: [OPENAI_MODEL]
                promote: field/_current/SCORES
            """)
        #expect(p.stages.map(\.name) == ["export", "score"])
        #expect(p.stage("export")?.command == ["sh", "-c", "python3 export.py --limit 10"])
        let score = try #require(p.stage("score"))
        #expect(score.command == ["python3", "score.py"])
        #expect(score.inputs.map(\.source) == [.stage("export", output: "words"), .target("anchors/_current"), .target("runs/passX@latest")])
        #expect(score.params == #"{"batch":32,"dry":false,"model":"32","nothing":null,"tags":["a","b"],"temperature":0.5}"#)
        #expect(score.outputs == [ExecPlan.Output(name: "scores", dataset: "runs/passX", kind: "run")])
        #expect(score.code == ["score.py", "lib/util.py"])
        #expect(score.promote?.rawValue == "field/_current/SCORES")
        #expect(score.upstream == ["export"])
        #expect(try p.order(of: ["score"]) == ["export", "score"])
    }

    @Test(arguments: [
        ("version: 2\nstages:\n  a:\n    command: x\n    outputs: {o: d}\n", "pipeline version 2"),
        ("stages:\n  a:\n    command: x\n    outputs: {o: d1, p: d2}\n    promote: r\n", "exactly one output"),
        ("stages:\n  a:\n    command: x\n    outputs: {o: d}\n    code: [../secret.py]\n", "without '..'"),
        ("stages:\n  a b:\n    command: x\n    outputs: {o: d}\n", "stage names use letters"),
        ("stages:\n  a:\n    command: x\n", "no outputs"),
        ("stages:\n  a:\n    command: x\n    outputs: {o: d}\n    inputs: [x]\n", "'inputs' maps names"),
        ("stages: {}\n", "no stages"),
    ])
    func badFilesAreRefused(_ text: String, _ message: String) {
        do {
            _ = try load(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
