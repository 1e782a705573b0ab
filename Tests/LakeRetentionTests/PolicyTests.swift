import Foundation
@testable import LakeRetention
import Testing

@Suite struct PlannerGoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    /// The planner's whole output for a fixed input is pinned in Golden/<case>.expected.json.
    /// After an intended change, rerun with LAKE_UPDATE_GOLDEN=1 and review the diff.
    @Test(arguments: ["rff"])
    func planMatchesTheGoldenFile(_ name: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let input = try decoder.decode(RetentionInput.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.golden)/\(name).input.json")))
        let policy = try Policy.parse(String(contentsOfFile: "\(Self.golden)/\(name).policy.yaml", encoding: .utf8), source: "\(name).policy.yaml")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let actual = try encoder.encode(RetentionPlanner.plan(input, policy: policy)) + Data("\n".utf8)
        let expectedPath = "\(Self.golden)/\(name).expected.json"
        if ProcessInfo.processInfo.environment["LAKE_UPDATE_GOLDEN"] == "1" { try actual.write(to: URL(fileURLWithPath: expectedPath)) }
        let expected = try Data(contentsOf: URL(fileURLWithPath: expectedPath))
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    @Test func theDefaultPolicyParses() throws {
        let policy = try Policy.parse(Policy.defaultText, source: "default")
        #expect(policy.rules.count == 2)
        #expect(policy.rule(for: "corpus/_ledger/yellow_passed")?.keepLast == 10)
        #expect(policy.rule(for: "runs/passX")?.keepUsedByRunsWithin == Int64(14 * 86400))
    }
}

@Suite struct PolicyErrorTests {
    @Test(arguments: [
        ("version: 1\nrules:\n  - datasets: \"*\"\n    keep_lats: 3\n", "p:4: unknown key 'keep_lats'"),
        ("version: 1\nrules:\n  - datasets: \"*\"\n    keep_last: -2\n", "p:4: 'keep_last' must be a whole number of 0 or more"),
        ("version: 1\nrules:\n  - datasets: \"*\"\n    keep_younger_than: 2 weeks\n", "p:4: 'keep_younger_than' must be a duration such as"),
        ("version: 2\nrules: []\n", "p:1: policy version 2 is not one this lake reads"),
        ("version: 1\nrules:\n  - keep_last: 1\n", "p:3: a rule needs 'datasets'"),
        ("versions: 1\n", "p:1: unknown key 'versions'"),
        ("rules: [\n", "not valid YAML"),
    ])
    func badPoliciesAreRefusedNamingTheLine(_ text: String, _ message: String) {
        do {
            _ = try Policy.parse(text, source: "p")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func durationsReadEveryUnit() {
        #expect(Policy.seconds("90s") == 90)
        #expect(Policy.seconds("90m") == 5400)
        #expect(Policy.seconds("36h") == 129_600)
        #expect(Policy.seconds("14d") == 1_209_600)
        #expect(Policy.seconds("8w") == 4_838_400)
        #expect(Policy.seconds("8y") == nil)
        #expect(Policy.seconds("-1d") == nil)
    }
}
