import Foundation

/// `rbsh import`: a guide written for people as Markdown runbook drafts, one
/// per case. Its diagnostic steps become steps (SQL as `sql` blocks, commands
/// that never end bounded), its solutions fixes at a guessed risk, its
/// symptoms the runbook's; each step gets a first finding (its command did
/// not succeed) and each fix is offered for all of them. Every guess carries
/// a `review` attribute, which `rbsh lint` reports: a draft is read and
/// decided by a person before it is run.
public enum GuideImporter {
    public struct Draft: Sendable {
        public var id: String
        public var title: String
        /// Where the case is in the guide.
        public var line: Int
        public var steps: Int
        public var fixes: Int
        public var reviews: Int
        public var text: String
    }

    public struct Outcome: Sendable {
        public var drafts: [Draft]
        /// Headings with code under them that are not cases (no symptoms, steps or solutions), and their lines.
        public var leftOut: [(title: String, line: Int)]
    }

    public static func drafts(from text: String, file: String) -> Outcome {
        let guide = GuideCases(text)
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var used: Set<String> = []
        var drafts: [Draft] = []
        for (n, c) in guide.cases.enumerated() {
            var id = MarkdownRunbook.slug(c.title) ?? "\(MarkdownRunbook.slug(stem) ?? "guide")-case-\(n + 1)"
            while used.contains(id) { id += "-\(n + 1)" }
            used.insert(id)
            drafts.append(draft(c, id: id, file: (file as NSString).lastPathComponent))
        }
        return Outcome(drafts: drafts, leftOut: guide.leftOut)
    }

    /// The kind of a case, from the heading above it (服务启动问题, 性能问题...) and its own title.
    static func category(_ parent: String?, title: String = "") -> String {
        let p = (parent ?? "") + " " + title
        func has(_ words: [String]) -> Bool { words.contains { p.localizedCaseInsensitiveContains($0) } }
        if has(["启动", "服务", "start", "service", "down", "outage"]) { return "service-down" }
        if has(["性能", "perform", "slow"]) { return "performance" }
        if has(["数据", "data"]) { return "data" }
        return "functional"
    }

    static func draft(_ c: GuideCases.Case, id: String, file: String) -> Draft {
        var out: [String] = []
        var reviews = 0
        func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        out.append("---")
        out.append("id: \(id)")
        out.append("title: \(quoted(c.title))")
        out.append("aliases:")
        out.append("- \(quoted(c.title))")
        out.append("category: \(category(c.parent, title: c.title))")
        out.append(
            "description: \(quoted("Drafted by rbsh import from \(file):\(c.line) (\(c.title)): its steps, findings and fixes are guesses for a person to review, where rbsh lint says."))"
        )
        if !c.symptoms.isEmpty {
            out.append("symptoms:")
            for s in c.symptoms { out.append("- \(quoted(s))") }
        }
        out += ["---", "", "# \(c.title)", ""]
        if !c.symptoms.isEmpty { out += ["**症状**：" + c.symptoms.joined(separator: "；") + "。", ""] }

        var findings: [String] = []
        for (i, item) in c.diagnostics.enumerated() {
            let name = "step-\(i + 1)"
            let title = item.title.isEmpty ? "Step \(i + 1)" : item.title
            let command = CommandDraft(item.lines)
            out += ["## \(title)", ""]
            let finding = "\(name)-failed"
            if command.kind == .manual {
                out += command.body + [""]
                continue
            }
            findings.append(finding)
            let notes = command.notes + ["the finding is a first guess, the step failing: decide what in its answer is a problem"]
            reviews += 1
            out.append("```\(command.kind.rawValue) { name=\(name) review=\(attribute(notes)) }")
            out += command.body
            out += [
                "```", "", "```rbsh", "findings:", "- id: \(finding)", "  when: status != \"ok\" and not timed_out", "  severity: warning",
            ]
            out += ["  message: \(quoted("\(title): it did not succeed (${status})"))", "```", ""]
        }

        if !c.solutions.isEmpty { out += ["# Remediations", "", "**解决方案**：", ""] }
        for (i, item) in c.solutions.enumerated() {
            let name = "fix-\(i + 1)"
            let title = item.title.isEmpty ? "Fix \(i + 1)" : item.title
            let command = CommandDraft(item.lines)
            let (risk, because) = command.guessedRisk
            let fixes = findings.isEmpty ? "" : " fixes=\(findings.joined(separator: ","))"
            var notes = command.notes + ["risk guessed as \(risk): \(because)"]
            notes.append(
                findings.isEmpty ? "no step finds what it fixes: add one" : "which findings it fixes is a guess: all of the case's")
            reviews += 1
            let confirm = risk == "destructive" ? " confirm_word=\(name)" : ""
            out += ["## \(title)", ""]
            if command.kind == .manual || findings.isEmpty {
                let text = command.body.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: "\n")
                out.append(
                    "```rbsh { name=\(name)\(fixes) risk=\(command.kind == .manual ? "safe" : risk)\(confirm) review=\(attribute(notes)) }")
                out += ["manual: |"] + text.components(separatedBy: "\n").map { "  " + $0 } + ["```", ""]
            } else {
                out.append("```\(command.kind.rawValue) { name=\(name)\(fixes) risk=\(risk)\(confirm) review=\(attribute(notes)) }")
                out += command.body + ["```", ""]
            }
        }
        while out.last == "" { out.removeLast() }
        return Draft(
            id: id, title: c.title, line: c.line, steps: findings.count, fixes: c.solutions.count, reviews: reviews,
            text: out.joined(separator: "\n") + "\n")
    }

    /// Review notes as one attribute value: quoted, with no quote of its own inside, and no backtick (a
    /// backtick fence's info string cannot hold one).
    static func attribute(_ notes: [String]) -> String {
        "\"" + notes.joined(separator: "; ").replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "`", with: "'") + "\""
    }
}
