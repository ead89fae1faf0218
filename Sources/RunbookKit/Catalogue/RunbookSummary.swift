import Foundation
import Yams

/// What `find` reads of a runbook: its names and what it is for. The
/// built-in runbooks' summaries are written at build time (so `rbsh find`
/// need not parse every runbook); a folder's come from loading it.
public struct RunbookSummary: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var category: String
    public var aliases: [String]
    public var symptoms: [String]
    public var description: String

    public init(id: String, title: String, category: String, aliases: [String], symptoms: [String], description: String) {
        self.id = id
        self.title = title
        self.category = category
        self.aliases = aliases
        self.symptoms = symptoms
        self.description = description
    }

    public init(_ runbook: Runbook) {
        self.init(
            id: runbook.id, title: runbook.title, category: runbook.category.rawValue, aliases: runbook.aliases,
            symptoms: runbook.symptoms, description: runbook.description)
    }

    /// The top-level keys a summary reads.
    static let keys: Set<String> = ["id", "title", "category", "aliases", "symptoms", "description"]

    /// The summary of the runbook file at `path`, reading only its summary's
    /// top-level keys (not its steps and remediations); nil when the file is
    /// not a runbook. A file whose head cannot be read that way is loaded whole.
    public static func read(path: String) -> RunbookSummary? {
        guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        // A Markdown runbook's keys are its frontmatter's; its prose is not read for them.
        if path.hasSuffix(".md") { text = frontmatter(of: text) }
        if let node = try? Yams.compose(yaml: head(of: text)), let summary = RunbookSummary(node: node) { return summary }
        return RunbookLoader.load(path: path).runbook.map(RunbookSummary.init)
    }

    /// The lines between a Markdown file's opening `---` and the next, as Markdown runbooks are read.
    static func frontmatter(of text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        return MarkdownBlocks.frontmatter(in: lines).map { lines[$0].joined(separator: "\n") } ?? ""
    }

    /// The lines of `text`'s top-level summary keys, each with what is
    /// indented under it; the rest (steps, remediations, comments) left out.
    static func head(of text: String) -> String {
        var kept: [Substring] = []
        var keeping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "\t", first != "#", first != "-" {
                let key = line.prefix { $0 != ":" }
                keeping = keys.contains(String(key))
            }
            if keeping { kept.append(line) }
        }
        return kept.joined(separator: "\n")
    }

    init?(node: Node) {
        guard let id = node["id"]?.string, !id.isEmpty, let title = node["title"]?.string else { return nil }
        func strings(_ key: String) -> [String] { node[key]?.sequence?.compactMap(\.string) ?? node[key]?.string.map { [$0] } ?? [] }
        self.init(
            id: id, title: title, category: node["category"]?.string ?? "tool", aliases: strings("aliases"),
            symptoms: strings("symptoms"), description: node["description"]?.string ?? "")
    }
}
