import Foundation
import Yams

/// Reads one YAML mapping, remembering which keys were used so the rest can
/// be reported as unknown, and recording every problem with its position.
struct NodeReader {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    func location(_ node: Node) -> FilePosition {
        let mark = node.mark
        return FilePosition(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ node: Node, _ message: String) {
        diagnostics.append(Diagnostic(location(node), message))
    }

    mutating func error(_ location: FilePosition, _ message: String) {
        diagnostics.append(Diagnostic(location, message))
    }

    mutating func mapping(_ node: Node, what: String) -> Mapping? {
        guard let m = node.mapping else {
            error(node, "\(what) must be a mapping (key: value), found \(describe(node))")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        var seen: Set<String> = []
        for (k, v) in m {
            guard let key = k.scalar?.string else {
                error(k, "keys must be plain words")
                continue
            }
            if !seen.insert(key).inserted {
                error(k, "duplicate key `\(key)`")
                continue
            }
            entries.append((key, k, v))
        }
        return Mapping(node: node, entries: entries)
    }

    /// Reports the keys nobody read, with the closest known one.
    mutating func finish(_ mapping: Mapping, known: [String], what: String, extra: String = "") {
        for entry in mapping.entries where !mapping.used.contains(entry.key) {
            let hint = Suggestion.hint(for: entry.key, in: known)
            error(entry.keyNode, "unknown key `\(entry.key)` in \(what)\(hint)\(hint.isEmpty ? extra : "")")
        }
    }

    mutating func string(_ node: Node, what: String) -> String? {
        guard let s = node.scalar?.string else {
            error(node, "\(what) must be text, found \(describe(node))")
            return nil
        }
        return s
    }

    mutating func strings(_ node: Node, what: String) -> [String]? {
        if let s = node.scalar {
            return [s.string]
        }
        guard let seq = node.sequence else {
            error(node, "\(what) must be a list of text, found \(describe(node))")
            return nil
        }
        var out: [String] = []
        for item in seq {
            if let s = string(item, what: "each of \(what)") { out.append(s) }
        }
        return out
    }

    mutating func stringMap(_ node: Node, what: String) -> [String: String]? {
        guard let m = node.mapping else {
            error(node, "\(what) must be a mapping of NAME: value")
            return nil
        }
        var out: [String: String] = [:]
        for (k, v) in m {
            guard let key = k.scalar?.string else { error(k, "\(what) names must be text"); continue }
            guard let value = v.scalar?.string else { error(v, "\(what) `\(key)` must be text"); continue }
            out[key] = value
        }
        return out
    }

    mutating func duration(_ node: Node, what: String) -> Double? {
        guard let text = node.scalar?.string, let seconds = DurationText.seconds(text) else {
            error(node, "\(what) must be a duration such as 500ms, 10s, 2m or 1h, found \(describe(node))")
            return nil
        }
        return seconds
    }

    mutating func bool(_ node: Node, what: String) -> Bool? {
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error(node, "\(what) must be true or false, found \(describe(node))")
            return nil
        }
    }

    mutating func int(_ node: Node, what: String) -> Int? {
        guard let text = node.scalar?.string, let n = Int(text) else {
            error(node, "\(what) must be a whole number, found \(describe(node))")
            return nil
        }
        return n
    }

    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ node: Node, _ type: E.Type, what: String) -> E?
    where E.RawValue == String {
        guard let text = string(node, what: what) else { return nil }
        if let e = E(rawValue: text) { return e }
        let names = E.allCases.map(\.rawValue)
        error(node, "\(what) `\(text)` is not one of \(names.joined(separator: ", "))\(Suggestion.hint(for: text, in: names))")
        return nil
    }

    /// Parses an expression, placing any fault at its column in the file.
    mutating func expression(_ node: Node, what: String) -> Expression? {
        guard let scalar = node.scalar else {
            error(node, "\(what) must be an expression, found \(describe(node))")
            return nil
        }
        do {
            return try ExpressionParser.parse(scalar.string)
        } catch {
            var at = location(node)
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: at.column += error.column
            case .literal, .folded: at.line += 1
            default: at.column += error.column - 1
            }
            self.error(at, "bad expression in \(what): \(error.message)")
            return nil
        }
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return s.string.isEmpty ? "nothing" : "`\(s.string)`"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    struct Mapping {
        let node: Node
        let entries: [(key: String, keyNode: Node, value: Node)]
        var used: Set<String> = []

        init(node: Node, entries: [(key: String, keyNode: Node, value: Node)]) {
            self.node = node
            self.entries = entries
        }

        mutating func take(_ key: String) -> Node? {
            guard let entry = entries.first(where: { $0.key == key }) else { return nil }
            used.insert(key)
            return entry.value
        }

        func has(_ key: String) -> Bool { entries.contains { $0.key == key } }
        func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }
    }
}
