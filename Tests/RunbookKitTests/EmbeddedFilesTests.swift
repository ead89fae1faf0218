import Foundation
import Testing
@testable import RunbookKit

/// The runbooks built into the binary (by the EmbedFiles plugin) are the files in runbooks/, unchanged.
@Suite struct EmbeddedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func builtinRunbooksMatchTheFiles() throws {
        let dir = Self.root.appendingPathComponent("runbooks").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(BuiltinRunbookFiles.files.map(\.name) == names)
        for file in BuiltinRunbookFiles.files {
            let text = try String(contentsOfFile: dir + "/" + file.name, encoding: .utf8)
            #expect(file.text + "\n" == text, "\(file.name) differs from its built-in copy")
        }
    }

    /// The catalogue names a built-in runbook by its file until a walk asks
    /// for it: each file is named after its id, and its aliases are its summary's.
    @Test func builtinRunbooksAreNamedAfterTheirIdsAndLoadedWhenAskedFor() throws {
        let catalogue = RunbookCatalogue(directories: [])
        for entry in catalogue.entries {
            let book = try #require(entry.runbook, "\(entry.path)")
            #expect(book.id == entry.id, "\(entry.path) holds runbook \(book.id)")
            #expect(book.aliases == entry.aliases, "\(entry.id)")
        }
        #expect(catalogue.entries.count == BuiltinRunbookFiles.files.count)
    }

    @Test func everyRunbookInTheRepositoryLintsClean() throws {
        let catalogue = RunbookCatalogue(directories: [Self.root.appendingPathComponent("runbooks").path], includeBuiltins: true)
        #expect(!catalogue.entries.isEmpty)
        for entry in catalogue.entries {
            #expect(entry.outcome.diagnostics.isEmpty, "\(entry.path): \(entry.outcome.diagnostics.map(\.description))")
        }
    }
}

/// The format page's worked example is a runbook that lints clean and runs its course.
@Suite struct FormatDocumentationTests {
    @Test func theWorkedExampleLintsClean() throws {
        let page = try String(
            contentsOfFile: EmbeddedFilesTests.root.appendingPathComponent("docs/runbook-format.md").path, encoding: .utf8)
        let example = try #require(page.range(of: "## A worked example"))
        let start = try #require(page.range(of: "```yaml\n", range: example.upperBound..<page.endIndex))
        let end = try #require(page.range(of: "\n```", range: start.upperBound..<page.endIndex))
        let yaml = String(page[start.upperBound..<end.lowerBound])
        let outcome = RunbookLoader.load(yaml: yaml, file: "runbook-format.md")
        #expect(outcome.diagnostics.isEmpty, "\(outcome.diagnostics)")
        let rb = try #require(outcome.runbook)
        var s = RunbookSession(runbook: rb, policy: .person)
        _ = s.start()
        _ = s.stepFinished(StepResult(status: .ok, values: ["connected": .bool(true)]))
        _ = s.stepFinished(
            StepResult(
                status: .ok,
                values: [
                    "memory_used_pct": .number(97), "maxmemory_policy": .string("noeviction"),
                    "used_memory_human": .string("62M"), "maxmemory_human": .string("64M"),
                ]))
        guard case .confirm(let c) = s.stepFinished(StepResult(status: .ok, exitCode: 0)) else {
            Issue.record("the destructive fix was not offered")
            return
        }
        #expect(c.word == "FLUSHDB")
        #expect(s.openFindings.map(\.id) == ["redis-near-maxmemory", "no-eviction"])
    }
}
