import Foundation
import Testing

@testable import RunbookKit

/// The guide's cases written as Markdown (runbooks/markdown) are the YAML runbooks of the same id, step for
/// step: what they run, how they judge it, where they branch and what they offer. Only the prose and the
/// positions differ. The test command walks the Markdown ones through their YAML twins' lab cases; this pins
/// that nothing else separates them, so a case one passes the other passes too.
@Suite struct MarkdownTwinsTests {
    static let runbooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("runbooks")

    static var markdownFiles: [URL] {
        let folder = runbooks.appendingPathComponent("markdown")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".md") }.sorted().map { folder.appendingPathComponent($0) }
    }

    /// A step as it behaves: no prose, no position, and a command's or a statement's final newline (YAML's `|`
    /// keeps one, a Markdown block does not) left out.
    static func behaviour(_ step: Step) -> Step {
        var step = step
        step.description = ""
        step.location = nil
        switch step.action {
        case .shell(var a):
            while a.command.hasSuffix("\n") { a.command.removeLast() }
            step.action = .shell(a)
        case .postgres(var a):
            while a.sql.hasSuffix("\n") { a.sql.removeLast() }
            step.action = .postgres(a)
        default:
            break
        }
        return step
    }

    @Test func theGuidesSixCasesAreWrittenInMarkdown() {
        let ids = Set(Self.markdownFiles.map { $0.deletingPathExtension().lastPathComponent })
        let cases: Set = [
            "management-platform-down", "db-connection-failure", "slow-response", "high-memory", "websocket-failure",
            "data-inconsistency",
        ]
        #expect(cases.isSubset(of: ids), "missing: \(cases.subtracting(ids).sorted())")
    }

    @Test(arguments: markdownFiles)
    func itBehavesAsItsYAMLTwin(file: URL) throws {
        let markdown = RunbookLoader.load(path: file.path)
        let md = try #require(markdown.runbook, "\(markdown.diagnostics)")
        #expect(markdown.diagnostics.isEmpty, "\(markdown.diagnostics)")
        let twin = Self.runbooks.appendingPathComponent(file.deletingPathExtension().lastPathComponent + ".yaml")
        let yaml = try #require(RunbookLoader.load(path: twin.path).runbook)

        #expect(md.id == yaml.id && md.title == yaml.title && md.category == yaml.category)
        #expect(md.aliases == yaml.aliases && md.symptoms == yaml.symptoms && md.inputs == yaml.inputs)
        #expect(md.steps.map(\.id) == yaml.steps.map(\.id))
        for (m, y) in zip(md.steps, yaml.steps) {
            #expect(Self.behaviour(m) == Self.behaviour(y), "step \(y.id)")
        }
        #expect(md.remediations.map(\.id) == yaml.remediations.map(\.id))
        for (m, y) in zip(md.remediations, yaml.remediations) {
            #expect(m.title == y.title && m.fixes == y.fixes && m.risk == y.risk, "remediation \(y.id)")
            #expect(m.verify == y.verify && m.confirmWord == y.confirmWord && m.guardSteps == y.guardSteps, "remediation \(y.id)")
            #expect(Self.behaviour(m.action) == Self.behaviour(y.action), "remediation \(y.id)")
        }
    }
}
