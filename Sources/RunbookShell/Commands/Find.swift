import ArgumentParser
import CommandOptions
import Foundation
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh find TEXT`: the runbooks for a symptom, best first.
    struct Find: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "find",
            abstract: "Find the runbook for what you see: a symptom, an error, a heading of the guide, in English or Chinese.",
            discussion: "Exit status: 0 when something matches, 1 when nothing does.")

        @Argument(help: "What you see, as words: `API接口无响应`, `connection timed out`.") var text: [String]
        @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: OutputFormat = .text
        @Option(help: ArgumentHelp("How many to show.", valueName: "n")) var limit = 5
        @OptionGroup var targets: TargetOptions

        func run() throws {
            let query = text.joined(separator: " ")
            let hits = RunbookFinder(RunbookCatalogue.summaries(directories: targets.runbookDirectories)).find(query, limit: limit)
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let lines = hits.map { FindHit(id: $0.id, score: $0.score, matched: $0.matched) }
                print(String(decoding: (try? encoder.encode(lines)) ?? Data("[]".utf8), as: UTF8.self))
            case .text:
                if hits.isEmpty {
                    try? FileHandle.standardError.write(
                        contentsOf: Data("rbsh: no runbook matches `\(query)`; `rbsh list` shows them all\n".utf8))
                }
                print(FindRendering.lines(hits), terminator: "")
            }
            if hits.isEmpty { throw ExitCode(1) }
        }
    }
}

/// One hit as `--format json` writes it.
struct FindHit: Encodable {
    var id: String
    var score: Double
    var matched: String
}

/// Hits one a line: `ID  TITLE  — matched: SYMPTOM`, ids and titles in columns.
enum FindRendering {
    static func lines(_ hits: [RunbookFinder.Hit]) -> String {
        let idWidth = hits.map(\.id.count).max() ?? 0
        let titleWidth = hits.map(\.title.count).max() ?? 0
        return hits.map { h in
            h.id.padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  "
                + h.title.padding(toLength: titleWidth, withPad: " ", startingAt: 0)
                + "  — matched: " + shorten(h.matched) + "\n"
        }.joined()
    }

    /// A description is long: its first sentence, or 80 characters.
    static func shorten(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        guard line.count > 80 else { return line }
        return String(line.prefix(79)) + "…"
    }
}
