import Foundation
import Testing
@testable import RunbookKit

/// Every broken runbook in Corpus/ gives exactly the diagnostics in its
/// `.expected` file: the `rbsh lint` lines, in order.
@Suite struct BrokenRunbookCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus").path

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static var builtins: [String: Runbook] {
        var out: [String: Runbook] = [:]
        for e in RunbookCatalogue(directories: [], includeBuiltins: true).entries { if let rb = e.runbook { out[rb.id] = rb } }
        return out
    }

    static func lint(_ files: [String], in dir: String) -> [String] {
        var lines: [String] = []
        var loaded: [Runbook] = []
        for file in files {
            let text = (try? String(contentsOfFile: dir + "/" + file, encoding: .utf8)) ?? ""
            let outcome = RunbookLoader.load(yaml: text, file: file)
            lines += outcome.diagnostics.map(\.description)
            if let rb = outcome.runbook { loaded.append(rb) }
        }
        lines += CatalogueChecker.check(loaded, known: builtins).map(\.description)
        return lines
    }

    @Test func thereAreAtLeastThirtyCases() {
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases)
    func diagnosticsAreExactly(file: String) throws {
        let expected = try String(
            contentsOfFile: Self.corpus + "/" + file.replacingOccurrences(of: ".yaml", with: ".expected"), encoding: .utf8
        )
        .split(separator: "\n").map(String.init)
        #expect(!expected.isEmpty, "a corpus case must be broken")
        #expect(Self.lint([file], in: Self.corpus) == expected)
    }

    @Test func includeCyclesAcrossFilesAreCaught() throws {
        let expected = try String(contentsOfFile: Self.corpus + "/cycle/expected", encoding: .utf8).split(separator: "\n").map(String.init)
        let got = Self.lint(["first.yaml", "second.yaml"], in: Self.corpus + "/cycle").map { "cycle/" + $0 }
        #expect(got == expected)
    }
}
