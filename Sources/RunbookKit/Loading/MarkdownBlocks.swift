import CMark
import Foundation

/// What a Markdown document holds for a runbook: its frontmatter, its
/// headings, and its fenced code blocks with their info strings, each where
/// it is in the file (1-based lines and columns). Parsed by cmark, the
/// CommonMark reference implementation: fences in lists and block quotes,
/// tilde fences and CRLF are as CommonMark says.
struct MarkdownBlocks {
    struct Frontmatter {
        /// The lines between the `---` fences, and the file line of the first.
        var lines: [String]
        var firstLine: Int
    }

    enum Block {
        case heading(level: Int, text: String, line: Int)
        case paragraph(text: String, line: Int)
        /// A fenced code block: its info string, its lines, the file line of
        /// the fence and of its first line, the fence's column, and its last
        /// line (the closing fence's, or the document's last if never closed).
        case code(info: String, lines: [String], line: Int, contentLine: Int, column: Int, endLine: Int)
    }

    var frontmatter: Frontmatter?
    var blocks: [Block] = []

    init(_ text: String) {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = normalised.components(separatedBy: "\n")
        // The frontmatter is blanked out for cmark, so its lines keep their numbers.
        if let keys = Self.frontmatter(in: lines) {
            frontmatter = Frontmatter(lines: Array(lines[keys]), firstLine: 2)
            for i in 0...keys.upperBound { lines[i] = "" }
        }
        let body = lines.joined(separator: "\n")
        guard let document = body.withCString({ cmark_parse_document($0, strlen($0), CMARK_OPT_DEFAULT) }) else { return }
        defer { cmark_node_free(document) }
        guard let iterator = cmark_iter_new(document) else { return }
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            let line = Int(cmark_node_get_start_line(node))
            switch cmark_node_get_type(node) {
            case CMARK_NODE_HEADING:
                blocks.append(.heading(level: Int(cmark_node_get_heading_level(node)), text: Self.text(of: node), line: line))
            case CMARK_NODE_PARAGRAPH:
                blocks.append(.paragraph(text: Self.text(of: node), line: line))
            case CMARK_NODE_CODE_BLOCK:
                // Indented code blocks have no info string: prose, not steps.
                guard let info = cmark_node_get_fence_info(node).map({ String(cString: $0) }), !info.isEmpty || Self.isFenced(lines, line)
                else { continue }
                var content = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
                if content.hasSuffix("\n") { content.removeLast() }
                blocks.append(
                    .code(
                        info: info.trimmingCharacters(in: .whitespaces),
                        lines: content.isEmpty ? [] : content.components(separatedBy: "\n"),
                        line: line, contentLine: line + 1, column: Int(cmark_node_get_start_column(node)),
                        endLine: Int(cmark_node_get_end_line(node))))
            default:
                break
            }
        }
    }

    /// Where the frontmatter's keys are: the lines between an opening `---` and the next `---` (or `...`).
    static func frontmatter(in lines: [String]) -> Range<Int>? {
        guard lines.first == "---", let end = lines.dropFirst().firstIndex(where: { $0 == "---" || $0 == "..." }) else { return nil }
        return 1..<end
    }

    /// Whether the line at `line` opens a fence (``` or ~~~), after any list or quote markers.
    static func isFenced(_ lines: [String], _ line: Int) -> Bool {
        guard line >= 1, line <= lines.count else { return false }
        let text = lines[line - 1].drop { " \t>-*+0123456789.)".contains($0) }
        return text.hasPrefix("```") || text.hasPrefix("~~~")
    }

    /// The plain text of an inline tree: its text and code, soft breaks as spaces.
    static func text(of node: OpaquePointer) -> String {
        var out = ""
        guard let iterator = cmark_iter_new(node) else { return out }
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let n = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(n) {
            case CMARK_NODE_TEXT, CMARK_NODE_CODE: out += cmark_node_get_literal(n).map { String(cString: $0) } ?? ""
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK: out += " "
            default: break
            }
        }
        return out
    }
}
