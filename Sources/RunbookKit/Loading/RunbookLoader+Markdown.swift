import Foundation

extension RunbookLoader {
    /// Whether a file name is a runbook's: YAML, or Markdown.
    public static func isRunbookFile(_ name: String) -> Bool {
        name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".md")
    }

    /// A Markdown runbook: read as the YAML it stands for, every problem and
    /// every position where it is in the Markdown file.
    public static func load(markdown text: String, file: String, origin: String? = nil) -> Outcome {
        guard MarkdownRunbook.isRunbook(text) else {
            return Outcome(
                runbook: nil,
                diagnostics: [
                    Diagnostic(
                        FilePosition(file: file, line: 1, column: 1),
                        "not a Markdown runbook: one opens with frontmatter (---, id:, title:, category:, ---)")
                ])
        }
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let md = MarkdownRunbook(text, fileStem: stem)
        var outcome = load(yaml: md.yaml.joined(separator: "\n") + "\n", file: file, origin: origin)
        func moved(_ p: FilePosition) -> FilePosition { md.position(p, file: file) }
        outcome.diagnostics =
            md.problems.map { Diagnostic(FilePosition(file: file, line: $0.line, column: $0.column), $0.message) }
            + outcome.diagnostics.map { Diagnostic(moved($0.location), $0.message, level: $0.level) }
        outcome.diagnostics.sort { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        if !md.problems.isEmpty { outcome.runbook = nil }
        if var book = outcome.runbook {
            book.aliasesLocation = book.aliasesLocation.map(moved)
            for i in book.steps.indices { book.steps[i].location = book.steps[i].location.map(moved) }
            for i in book.remediations.indices {
                book.remediations[i].location = book.remediations[i].location.map(moved)
                book.remediations[i].action.location = book.remediations[i].action.location.map(moved)
            }
            outcome.runbook = book
        }
        return outcome
    }
}
