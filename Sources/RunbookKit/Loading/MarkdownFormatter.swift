import Foundation
import Yams

/// `rbsh fmt`: a Markdown runbook with the parts rbsh owns written one way,
/// and every other byte as it was. rbsh owns, in a file that is a runbook
/// (it opens with frontmatter), the `{ key=value }` attributes of the fenced
/// blocks it runs or reads (`sh`, `sql`, `redis`, `http`, `rbsh`...) and the
/// YAML inside `rbsh` blocks. Attributes: one space inside the braces and
/// between pairs, `name` first, then `fixes`, `risk`, `verify`,
/// `confirm_word`, `timeout`, then the rest as written; JSON attributes
/// (Runme's other form) are left as written. YAML: two-space indentation,
/// sequences under their key, no line folding, its scalars' quoting kept —
/// unless that would lose a comment or change what it says, when the block
/// is left as written and the reason given.
public enum MarkdownFormatter {
    public struct Outcome: Sendable {
        public var text: String
        /// Blocks left as written, and why: file line and column, message.
        public var notes: [(line: Int, column: Int, message: String)]
        public var changed: Bool
    }

    static let keyOrder = ["name", "fixes", "risk", "verify", "confirm_word", "timeout"]

    public static func format(_ text: String) -> Outcome {
        guard MarkdownRunbook.isRunbook(text) else { return Outcome(text: text, notes: [], changed: false) }
        // Lines without their "\n"; a "\r" stays on its line, so joining them again gives the text back.
        // (Split as bytes: in a String, "\r\n" is one Character, not a "\r" before a "\n".)
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        var notes: [(line: Int, column: Int, message: String)] = []
        // Replacements of whole line ranges, applied from the last so earlier line numbers hold.
        var replacements: [(range: Range<Int>, lines: [String])] = []
        for block in MarkdownBlocks(text).blocks {
            guard case .code(let info, _, let line, let contentLine, let column, let endLine) = block else { continue }
            let attributes = FenceAttributes(info)
            guard attributes.language == "rbsh" || MarkdownRunbook.kinds[attributes.language] != nil else { continue }
            let index = line - 1
            guard index < lines.count, let fence = Fence(lines[index]) else { continue }
            if attributes.problem == nil, !attributes.isJSON, !attributes.order.isEmpty {
                let written = fence.prefix + fence.run + language(of: fence.info) + " " + canonical(attributes) + fence.lineEnd
                if written != lines[index] { replacements.append((index..<index + 1, [written])) }
            }
            guard attributes.language == "rbsh" else { continue }
            guard fence.prefix.isEmpty, fence.closes(lines, at: endLine - 1), contentLine <= endLine - 1 else {
                if !fence.prefix.isEmpty { notes.append((line, column, "an `rbsh` block inside a list or quote is left as written")) }
                continue
            }
            let body = Array(lines[(contentLine - 1)..<(endLine - 1)])
            switch yaml(body.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }) {
            case .failure(let reason):
                notes.append((contentLine, 1, "left as written: \(reason)"))
            case .success(let formatted):
                let written = formatted.map { $0 + fence.lineEnd }
                if written != body { replacements.append(((contentLine - 1)..<(endLine - 1), written)) }
            }
        }
        for r in replacements.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            lines.replaceSubrange(r.range, with: r.lines)
        }
        let result = lines.joined(separator: "\n")
        return Outcome(text: result, notes: notes, changed: result != text)
    }

    /// The language word as written (its case kept), without what follows it.
    static func language(of info: String) -> String {
        String(info.prefix { $0 != "{" && $0 != " " && $0 != "\t" })
    }

    static func canonical(_ attributes: FenceAttributes) -> String {
        let keys =
            keyOrder.filter { attributes.values[$0] != nil } + attributes.order.filter { !keyOrder.contains($0) }
        let pairs = keys.map { key -> String in
            let value = attributes.values[key] ?? ""
            if value.isEmpty { return key }
            let plain = !value.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "}" }
            return plain ? "\(key)=\(value)" : value.contains("\"") ? "\(key)='\(value)'" : "\(key)=\"\(value)\""
        }
        return "{ " + pairs.joined(separator: " ") + " }"
    }

    /// An `rbsh` block's YAML written one way, or why it is left as written.
    static func yaml(_ lines: [String]) -> Result<[String], Reason> {
        let source = lines.joined(separator: "\n") + "\n"
        let node: Node?
        do { node = try Yams.compose(yaml: source) } catch { return .failure(Reason("it is not YAML (rbsh lint says where)")) }
        guard let node else { return .success(lines) }
        guard let out = try? Yams.serialize(node: node, indent: 2, width: -1, allowUnicode: true) else {
            return .failure(Reason("its YAML could not be written back"))
        }
        var formatted = out.components(separatedBy: "\n")
        if formatted.last == "" { formatted.removeLast() }
        // A comment is not in the node: a block that has one keeps its own layout.
        guard source.filter({ $0 == "#" }).count == out.filter({ $0 == "#" }).count else {
            return .failure(Reason("it has comments, which rewriting would drop"))
        }
        // A text written as a block (`|`, `>`) that the emitter would quote instead (trailing spaces, tabs) stays a block.
        guard blockScalars(in: lines) <= blockScalars(in: formatted) else {
            return .failure(Reason("rewriting it would turn a block of text into a quoted string"))
        }
        guard (try? Yams.compose(yaml: out)) == node else { return .failure(Reason("rewriting it would change what it says")) }
        return .success(formatted)
    }

    /// How many lines open a literal or folded block scalar (`key: |`, `- >-`).
    static func blockScalars(in lines: [String]) -> Int {
        lines.filter { $0.range(of: #"(:|^\s*-)\s+[|>][-+0-9]*\s*$"#, options: .regularExpression) != nil }.count
    }

    struct Reason: Error { var text: String; init(_ text: String) { self.text = text } }
}

extension MarkdownFormatter.Reason: CustomStringConvertible { var description: String { text } }

/// A fence's line taken apart: what comes before the fence (indentation,
/// list or quote markers), the run of backticks or tildes, the info string,
/// and the line's "\r" if it has one.
struct Fence {
    var prefix: String
    var run: String
    var info: String
    var lineEnd: String

    init?(_ line: String) {
        lineEnd = line.hasSuffix("\r") ? "\r" : ""
        let text = lineEnd.isEmpty ? Substring(line) : line.dropLast()
        guard let start = text.firstIndex(where: { $0 == "`" || $0 == "~" }) else { return nil }
        let mark = text[start]
        let run = text[start...].prefix { $0 == mark }
        guard run.count >= 3 else { return nil }
        prefix = String(text[..<start])
        self.run = String(run)
        info = text[run.endIndex...].trimmingCharacters(in: .whitespaces)
    }

    /// Whether the line at `index` closes this fence: the same mark, at least as many, nothing after but spaces.
    func closes(_ lines: [String], at index: Int) -> Bool {
        guard index < lines.count, let mark = run.first else { return false }
        let text = lines[index].trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
        let closing = text.prefix { $0 == mark }
        return closing.count >= run.count && closing.count == text.count
    }
}
