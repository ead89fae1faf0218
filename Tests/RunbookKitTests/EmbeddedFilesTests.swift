import Foundation
import Testing
@testable import RunbookKit

/// The runbooks built into the binary are the files in runbooks/, unchanged.
@Suite struct EmbeddedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func builtinRunbooksMatchTheFiles() throws {
        let dir = Self.root.appendingPathComponent("runbooks").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(BuiltinRunbookFiles.files.map(\.name) == names, "run scripts/embed")
        for file in BuiltinRunbookFiles.files {
            let text = try String(contentsOfFile: dir + "/" + file.name, encoding: .utf8)
            #expect(file.text + "\n" == text, "\(file.name) changed: run scripts/embed")
        }
    }

    @Test func everyRunbookInTheRepositoryLintsClean() throws {
        let catalogue = RunbookCatalogue(directories: [Self.root.appendingPathComponent("runbooks").path], includeBuiltins: true)
        #expect(!catalogue.entries.isEmpty)
        for entry in catalogue.entries {
            #expect(entry.outcome.diagnostics.isEmpty, "\(entry.path): \(entry.outcome.diagnostics.map(\.description))")
        }
    }
}
