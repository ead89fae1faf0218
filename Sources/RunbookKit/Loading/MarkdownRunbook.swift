import Foundation

/// A Markdown runbook, read as the YAML runbook it stands for: the same
/// model, the same checks, the same expression language. The frontmatter
/// holds the runbook's keys (id, title, category, aliases, symptoms, inputs);
/// each fenced block whose language rbsh runs is a step (`sh`, `bash`,
/// `shell`; `sql` for PostgreSQL; `redis`; `http` holding a URL), titled by
/// the heading above it and described by the prose between; a block with
/// `fixes=` (or `remediation`) among its attributes is a remediation; an
/// `rbsh` block right under a step holds its other keys as YAML (findings,
/// next, env, verify...). Every line of the YAML made knows the Markdown
/// line it came from, so every problem is reported where it is in the file.
struct MarkdownRunbook {
    /// Languages and the step kind each runs as.
    static let kinds: [String: String] = [
        "sh": "shell", "bash": "shell", "shell": "shell", "sql": "postgres", "redis": "redis", "http": "http",
    ]

    var yaml: [String] = []
    /// For each YAML line: the Markdown line and column it came from, and
    /// the indentation added in front of its text (nil: a line made, not copied).
    var origins: [(line: Int, column: Int, added: Int?)] = []
    var problems: [(line: Int, column: Int, message: String)] = []

    /// Whether a Markdown file is meant as a runbook: it opens with frontmatter.
    /// Frontmatter keys Runme reads and rbsh does not.
    static let runmeKeys: Set<String> = ["runme", "shell", "cwd", "tag", "terminalRows", "skipPrompts"]

    static func isRunbook(_ text: String) -> Bool { text.hasPrefix("---\n") || text.hasPrefix("---\r\n") }

    struct Item {
        var kind: String
        var attributes: [String: String]
        var lines: [String]
        var line: Int
        var contentLine: Int
        var column: Int
        var title: String?
        var titleLine: Int
        var prose: [String]
        var extra: (lines: [String], line: Int, column: Int)?
        var isRemediation: Bool { attributes["fixes"] != nil || attributes["remediation"] != nil }
    }

    init(_ text: String, fileStem: String) {
        let doc = MarkdownBlocks(text)
        var items: [Item] = []
        var heading: (text: String, line: Int)?
        var firstTitle: (text: String, line: Int)?
        var prose: [String] = []
        for block in doc.blocks {
            switch block {
            case .heading(let level, let text, let line):
                heading = (text, line)
                if level == 1, firstTitle == nil { firstTitle = (text, line) }
                prose = []
            case .paragraph(let text, _):
                prose.append(text)
            case .code(let info, let lines, let line, let contentLine, let column, _):
                let attributes = FenceAttributes(info)
                if let problem = attributes.problem { problems.append((line, column, problem)) }
                // A named `rbsh` block is a whole step in YAML: the kinds no language stands for (tcp, tls, system, ask...).
                if attributes.language == "rbsh", attributes.values["name"] != nil {
                    items.append(
                        Item(
                            kind: "", attributes: attributes.values, lines: lines, line: line, contentLine: contentLine, column: column,
                            title: heading?.text, titleLine: heading?.line ?? line, prose: prose, extra: nil))
                    prose = []
                    continue
                }
                if attributes.language == "rbsh" {
                    guard !items.isEmpty, items[items.count - 1].extra == nil else {
                        problems.append((line, column, "an `rbsh` block belongs right under the step or remediation it adds keys to"))
                        continue
                    }
                    items[items.count - 1].extra = (lines, contentLine, column)
                    continue
                }
                guard let kind = Self.kinds[attributes.language] else { continue }
                items.append(
                    Item(
                        kind: kind, attributes: attributes.values, lines: lines, line: line, contentLine: contentLine, column: column,
                        title: heading?.text, titleLine: heading?.line ?? line, prose: prose, extra: nil))
                prose = []
            }
        }
        emitHeader(doc.frontmatter, title: firstTitle, fileStem: fileStem)
        var names: [String: Int] = [:]
        for (key, group) in [("steps", items.filter { !$0.isRemediation }), ("remediations", items.filter(\.isRemediation))] {
            guard let first = group.first else { continue }
            emit("\(key):", first.line, 1)
            for item in group { emitItem(item, names: &names) }
        }
    }

    mutating func emit(_ text: String, _ line: Int, _ column: Int, added: Int? = nil) {
        yaml.append(text)
        origins.append((line, column, added))
    }

    static func quoted(_ s: String) -> String {
        let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    mutating func emitHeader(_ frontmatter: MarkdownBlocks.Frontmatter?, title: (text: String, line: Int)?, fileStem: String) {
        let lines = frontmatter?.lines ?? []
        let first = frontmatter?.firstLine ?? 1
        var runmes = false
        for (i, line) in lines.enumerated() {
            // Runme's own keys (its document id, shell, cwd, prompts) are left to Runme.
            if let c = line.first, c != " ", c != "\t", c != "#" {
                runmes = Self.runmeKeys.contains(String(line.prefix { $0 != ":" }))
            }
            if runmes {
                emit("", first + i, 1)
                continue
            }
            for owned in ["steps:", "remediations:"] where line.hasPrefix(owned) {
                problems.append((first + i, 1, "`\(owned.dropLast())` come from the file's code blocks, not the frontmatter"))
            }
            emit(line, first + i, 1, added: 0)
        }
        func has(_ key: String) -> Bool { lines.contains { $0.hasPrefix(key + ":") } }
        if !has("id") {
            let id = fileStem.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            emit("id: \(Self.quoted(String(id)))", 1, 1)
        }
        if !has("title"), let title { emit("title: \(Self.quoted(title.text))", title.line, 1) }
    }

    mutating func emitItem(_ item: Item, names: inout [String: Int]) {
        // Runme's `id` attribute is its own cell id (a ULID), not a name.
        var id = item.attributes["name"] ?? Self.slug(item.title) ?? "step"
        names[id, default: 0] += 1
        if item.attributes["name"] == nil, let n = names[id], n > 1 { id += "-\(n)" }
        emit("  - id: \(Self.quoted(id))", item.line, item.column)
        let indent = "    "
        // A whole step in YAML keeps its own title and description.
        func owns(_ key: String) -> Bool { item.kind == "" && item.lines.contains { $0.hasPrefix(key + ":") } }
        if let title = item.title, !owns("title") { emit(indent + "title: \(Self.quoted(title))", item.titleLine, 1) }
        if item.isRemediation {
            let fixes = (item.attributes["fixes"] ?? "").split(separator: ",").map { Self.quoted($0.trimmingCharacters(in: .whitespaces)) }
            emit(indent + "fixes: [\(fixes.joined(separator: ", "))]", item.line, item.column)
            for key in ["risk", "verify", "confirm_word"] {
                if let v = item.attributes[key] { emit(indent + "\(key): \(Self.quoted(v))", item.line, item.column) }
            }
        } else if !item.prose.isEmpty, !owns("description") {
            emit(indent + "description: \(Self.quoted(item.prose.joined(separator: "\n\n")))", item.line, item.column)
        }
        if let timeout = item.attributes["timeout"] { emit(indent + "timeout: \(Self.quoted(timeout))", item.line, item.column) }
        if let review = item.attributes["review"] { emit(indent + "review: \(Self.quoted(review))", item.line, item.column) }
        switch item.kind {
        case "":
            for (i, line) in item.lines.enumerated() {
                emit(line.isEmpty ? "" : indent + line, item.contentLine + i, item.column, added: 4)
            }
        case "redis", "http":
            let text = item.lines.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
            let value =
                item.kind == "http" ? String(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "GET ", with: "")) : text
            emit(indent + "\(item.kind): \(Self.quoted(value.trimmingCharacters(in: .whitespaces)))", item.contentLine, item.column)
        default:
            emit(indent + "\(item.kind): |-", item.line, item.column)
            for (i, line) in item.lines.enumerated() {
                emit(line.isEmpty ? "" : indent + "  " + line, item.contentLine + i, item.column, added: 6)
            }
            if item.lines.isEmpty { yaml[yaml.count - 1] = indent + "\(item.kind): \"\"" }
        }
        if let extra = item.extra {
            for (i, line) in extra.lines.enumerated() { emit(line.isEmpty ? "" : indent + line, extra.line + i, extra.column, added: 4) }
        }
    }

    /// A heading as a step id: its ASCII letters and digits, dashed; nil when it has none.
    static func slug(_ text: String?) -> String? {
        guard let text else { return nil }
        var out = ""
        for c in text.lowercased() {
            if c.isASCII, c.isLetter || c.isNumber {
                out.append(c)
            } else if !out.isEmpty, out.last != "-" {
                out.append("-")
            }
        }
        while out.last == "-" { out.removeLast() }
        return out.isEmpty ? nil : String(out.prefix(40))
    }

    /// Where a position in the YAML made is in the Markdown file.
    func position(_ p: FilePosition, file: String) -> FilePosition {
        guard p.line >= 1, p.line <= origins.count else { return FilePosition(file: file, line: p.line, column: p.column) }
        let o = origins[p.line - 1]
        guard let added = o.added else { return FilePosition(file: file, line: o.line, column: o.column) }
        return FilePosition(file: file, line: o.line, column: max(1, p.column - added + o.column - 1))
    }
}
