import Foundation

/// A troubleshooting guide written for people, read for its cases: a heading
/// whose section labels its symptoms (`**症状**：` or `Symptoms:`), its
/// diagnostic steps (`诊断步骤`, `Diagnosis`) or its solutions (`解决方案`,
/// `Solutions`), the labelled list and code blocks under it, and the heading
/// above it that names its kind. Shell blocks are split at their numbered
/// comments (`# 1. 检查容器状态`, `# 解决方案1: 重启服务`), each one item.
struct GuideCases {
    struct Case {
        var title: String
        var line: Int
        /// The heading above it (its kind: 服务启动问题, 性能问题...).
        var parent: String?
        var symptoms: [String] = []
        var diagnostics: [Item] = []
        var solutions: [Item] = []
    }

    /// A numbered item of a block: its title, its lines, and the file line of its first.
    struct Item {
        var title: String
        var lines: [String]
        var line: Int
        var language: String
    }

    enum Label { case symptoms, diagnostics, solutions }

    var cases: [Case] = []
    /// Headings with code under them that are not cases, and their lines: what the import leaves out.
    var leftOut: [(title: String, line: Int)] = []

    static func label(_ paragraph: String) -> Label? {
        let text = paragraph.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: ":：")))
            .lowercased()
        switch text {
        case "症状", "symptoms", "symptom": return .symptoms
        case "诊断步骤", "诊断", "diagnosis", "diagnostic steps", "diagnostics": return .diagnostics
        case "解决方案", "solutions", "solution", "fix", "fixes": return .solutions
        default: return nil
        }
    }

    init(_ text: String) {
        let doc = MarkdownBlocks(text)
        var headings: [(level: Int, text: String)] = []
        var current: Case?
        var label: Label?
        var codeWithoutCase: (title: String, line: Int)?
        func close() {
            if let c = current, !(c.symptoms.isEmpty && c.diagnostics.isEmpty && c.solutions.isEmpty) {
                cases.append(c)
            } else if let orphan = codeWithoutCase {
                leftOut.append(orphan)
            }
            current = nil
            codeWithoutCase = nil
            label = nil
        }
        for block in doc.blocks {
            switch block {
            case .heading(let level, let title, let line):
                close()
                headings.removeAll { $0.level >= level }
                current = Case(title: title, line: line, parent: headings.last?.text)
                headings.append((level, title))
            case .paragraph(let paragraph, _):
                if let l = Self.label(paragraph) {
                    label = l
                } else if label == .symptoms {
                    current?.symptoms.append(paragraph.trimmingCharacters(in: .whitespaces))
                }
            case .code(let info, let lines, _, let contentLine, _, _):
                let language = FenceAttributes(info).language
                guard let l = label, l != .symptoms else {
                    if codeWithoutCase == nil, let c = current { codeWithoutCase = (c.title, c.line) }
                    continue
                }
                let items = Self.items(lines, firstLine: contentLine, language: language, solutions: l == .solutions)
                if l == .diagnostics { current?.diagnostics += items } else { current?.solutions += items }
            }
        }
        close()
    }

    /// A block split at its numbered comments; a block without them is one item.
    static func items(_ lines: [String], firstLine: Int, language: String, solutions: Bool) -> [Item] {
        var items: [Item] = []
        var quoted = false
        for (i, line) in lines.enumerated() {
            if !quoted, let title = numberedTitle(line, solutions: solutions) {
                items.append(Item(title: title, lines: [], line: firstLine + i, language: language))
            } else if items.isEmpty {
                items.append(Item(title: "", lines: [line], line: firstLine + i, language: language))
            } else {
                items[items.count - 1].lines.append(line)
            }
            // A comment inside a quoted SQL text is the SQL's, not a new item.
            if line.filter({ $0 == "\"" }).count % 2 == 1 { quoted.toggle() }
        }
        return items.map { item in
            var item = item
            while item.lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { item.lines.removeFirst() }
            while item.lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { item.lines.removeLast() }
            return item
        }.filter { !$0.lines.isEmpty || !$0.title.isEmpty }
    }

    /// `# 1. 检查容器状态` → 检查容器状态; `# 解决方案1: 重启服务` → 重启服务 (for solutions); nil for other lines.
    static func numberedTitle(_ line: String, solutions: Bool) -> String? {
        let pattern = solutions ? #"^#\s*(解决方案|Solution|Fix)\s*\d+\s*[:：.]\s*(.+)$"# : #"^#\s*()\d+[.)、]\s*(.+)$"#
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
            let m = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
            let r = Range(m.range(at: 2), in: line)
        else { return nil }
        return line[r].trimmingCharacters(in: .whitespaces)
    }
}
