import Foundation
import Testing
@testable import RunbookKit

/// docs/runbook.schema.json says what the loader accepts: the same step
/// kinds, the same keys for each, the same top-level, finding and
/// remediation keys. The step-kind table is the source; this holds the
/// hand-written schema to it.
@Suite struct RunbookSchemaTests {
    static func schema() throws -> [String: Any] {
        let path = EmbeddedFilesTests.root.appendingPathComponent("docs/runbook.schema.json").path
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func definition(_ name: String, in schema: [String: Any]) throws -> [String: Any] {
        try #require((schema["definitions"] as? [String: Any])?[name] as? [String: Any])
    }

    static func names(_ object: [String: Any], _ key: String) -> Set<String> {
        Set(((object[key] as? [String: Any])?["enum"] as? [String]) ?? [])
    }

    @Test func theStepKindsAndTheirKeysAreTheLoaders() throws {
        let schema = try Self.schema()
        let action = try Self.definition("action", in: schema)
        let required = (action["oneOf"] as? [[String: Any]] ?? []).compactMap { ($0["required"] as? [String])?.first }
        #expect(Set(required) == Set(StepKind.names), "each kind is a oneOf branch")
        let kindKeys = Set(StepKind.all.flatMap(\.keys))
        let actionKeys = Set((action["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
        #expect(actionKeys == Set(StepKind.names).union(kindKeys))
        let step = try Self.definition("step", in: schema)
        #expect(Self.names(step, "propertyNames") == Set(StepKind.stepKeys + StepKind.names))
    }

    @Test func topFindingAndRemediationKeysAreTheLoaders() throws {
        let schema = try Self.schema()
        #expect(Set((schema["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == Set(RunbookLoader.topKeys))
        let finding = try Self.definition("finding", in: schema)
        #expect(Set((finding["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == Set(RunbookLoader.findingKeys))
        let remediation = try Self.definition("remediation", in: schema)
        // A remediation is a step without findings, branches or a question, plus its own keys.
        let kinds = StepKind.all.filter { $0.name != "ask" }
        let expected = Set(
            ["id", "title", "timeout", "review"] + RunbookLoader.remediationKeys + kinds.map(\.name) + kinds.flatMap(\.keys))
        #expect(Self.names(remediation, "propertyNames") == expected)
    }
}
