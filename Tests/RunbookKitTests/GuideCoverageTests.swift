import Foundation
import Testing
@testable import RunbookKit

/// The guide is the spec: each of its cases' solutions, and each section of
/// its tools and optimisation advice, has in docs/coverage.md a finding of a
/// built-in runbook that says when, the fix for it, and its regression case.
@Suite struct GuideCoverageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path
    static let catalogue = RunbookCatalogue(directories: [], includeBuiltins: true)

    struct Row {
        var section: String
        var solution: String
        var finding: String
        var fix: String
        var testCase: String
    }

    /// `(section, solution)` for each case's 解决方案N, and `(section, nil)` for
    /// each section of the tools and the optimisation advice.
    static func guideParts() throws -> [(section: String, solution: String?)] {
        let text = try String(contentsOfFile: root + "/docs/guide/troubleshooting.zh.md", encoding: .utf8)
        var parts: [(String, String?)] = []
        var chapter = "", part = "", section = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("## ") { chapter = String(line.dropFirst(3)) }
            if line.hasPrefix("### ") { part = String(line.dropFirst(4)) }
            if line.hasPrefix("#### ") {
                section = String(line.dropFirst(5))
                if chapter == "性能优化" || part.hasSuffix("诊断工具") { parts.append((section, nil)) }
            }
            if chapter == "常见问题解决方案", let r = line.range(of: #"^# (解决方案\d+)"#, options: .regularExpression) {
                parts.append((section, String(line[r].dropFirst(2))))
            }
        }
        return parts
    }

    static func rows() throws -> [Row] {
        let text = try String(contentsOfFile: root + "/docs/coverage.md", encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Row? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            // | section | solution | runbook/finding | fix | case |
            guard cells.count == 7, cells[3].contains("/"), !cells[1].hasPrefix("-"), cells[1] != "Guide section" else { return nil }
            return Row(section: cells[1], solution: cells[2], finding: cells[3], fix: cells[4], testCase: cells[5])
        }
    }

    static func cases(of runbook: String) -> [String] {
        guard let file = try? RunbookTestFile.load(path: root + "/runbooks/tests/\(runbook).yaml") else { return [] }
        return file.cases.map(\.name)
    }

    @Test func theGuideIsReadWhole() throws {
        let parts = try Self.guideParts()
        #expect(parts.filter { $0.solution != nil }.count == 23, "six cases: four solutions each, three for the data")
        #expect(parts.filter { $0.solution == nil }.count == 12, "two tools and ten optimisation sections")
    }

    @Test func everySolutionAndSectionOfTheGuideHasAFindingAndAFix() throws {
        let rows = try Self.rows()
        for part in try Self.guideParts() {
            let mine = rows.filter { $0.section == part.section && (part.solution == nil || $0.solution == part.solution) }
            #expect(!mine.isEmpty, "the guide's \(part.section) \(part.solution ?? "") has no finding in docs/coverage.md")
        }
    }

    @Test func everyRowNamesAFindingItsFixAndACaseThatExist() throws {
        let rows = try Self.rows()
        #expect(rows.count >= 60)
        for row in rows {
            let parts = row.finding.split(separator: "/").map(String.init)
            guard parts.count == 2, let book = try? Self.catalogue.resolve(parts[0]) else {
                Issue.record("\(row.finding): no such runbook")
                continue
            }
            #expect(book.steps.contains { $0.findings.contains { $0.id == parts[1] } }, "\(row.finding): no such finding")
            let fix = book.remediations.first { $0.id == row.fix }
            #expect(fix?.fixes.contains(parts[1]) == true, "\(row.finding): \(book.id) has no fix \(row.fix) for it")
            guard row.testCase != "—" else { continue }
            let caseParts = row.testCase.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(
                caseParts.count == 2 && Self.cases(of: caseParts[0]).contains(caseParts[1]), "\(row.finding): no case `\(row.testCase)`")
        }
    }

    /// A remediation fixes findings its runbook can report: nothing offered for what nothing finds.
    @Test func everyRemediationHasAFindingThatCallsForIt() {
        for entry in Self.catalogue.entries {
            guard let book = entry.runbook else { continue }
            let findings = Set(book.steps.flatMap { $0.findings.map(\.id) })
            for r in book.remediations {
                #expect(!r.fixes.isEmpty && r.fixes.allSatisfy(findings.contains), "\(book.id)/\(r.id) fixes \(r.fixes), found by no step")
            }
        }
    }
}
