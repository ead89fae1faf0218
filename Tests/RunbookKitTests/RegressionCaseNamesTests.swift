import Foundation
import Testing

@testable import RunbookKit

/// A regression case names findings that exist: one it ignores or expects under a name its runbook does not
/// have (a finding renamed since) would compare nothing, and a host's busy CPU would fail a lab's case.
@Suite struct RegressionCaseNamesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyFindingACaseNamesIsOneOfItsRunbooks() throws {
        let catalogue = RunbookCatalogue(directories: [Self.root.appendingPathComponent("runbooks").path], includeBuiltins: false)
        var ids: [String: Set<String>] = [:]
        for e in catalogue.entries { if let rb = e.runbook { ids[rb.id] = Set(rb.steps.flatMap { $0.findings.map(\.id) }) } }
        let folder = Self.root.appendingPathComponent("runbooks/tests").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(!files.isEmpty)
        for file in files {
            let cases = try RunbookTestFile.load(path: folder + "/" + file)
            let own = try #require(ids[cases.runbook], "\(file): no runbook \(cases.runbook)")
            // `RUNBOOK/ID` (a triage's causes) names another runbook's finding.
            func exists(_ name: String) -> Bool {
                let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
                return parts.count == 2 ? ids[parts[0]]?.contains(parts[1]) == true : own.contains(name)
            }
            for c in cases.cases {
                let named = c.ignored.sorted() + (c.expectedFindings ?? []) + (c.expectedCauses ?? []) + Array(c.expectedMessages.keys)
                for name in named where !exists(name) {
                    Issue.record("\(file), case \"\(c.name)\": no finding `\(name)` in \(cases.runbook)")
                }
            }
        }
    }
}
