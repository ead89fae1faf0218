import Clients
import Foundation
import Yams

/// The smaller parts of a runbook file, and YAML's own errors as positions in it.
extension RunbookLoader {
    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
            && s != Branch.end
    }

    static func readInputs(_ node: Node, _ reader: inout NodeReader) -> [Input] {
        guard let seq = node.sequence else {
            reader.error(node, "`inputs` must be a list")
            return []
        }
        var inputs: [Input] = []
        for item in seq {
            guard var m = reader.mapping(item, what: "an input") else { continue }
            let id = m.take("id").flatMap { reader.string($0, what: "input id") }
            if !m.has("id") { reader.error(item, "an input needs an `id`") }
            let prompt = m.take("prompt").flatMap { reader.string($0, what: "prompt") }
            let choices = m.take("choices").flatMap { reader.strings($0, what: "choices") } ?? []
            let def = m.take("default").flatMap { reader.string($0, what: "default") }
            reader.finish(m, known: ["id", "prompt", "choices", "default"], what: "an input")
            if let id { inputs.append(Input(id: id, prompt: prompt ?? id, choices: choices, defaultValue: def)) }
        }
        return inputs
    }

    struct ReadStep {
        var step: Step
        var mapping: NodeReader.Mapping
        var review: String?
    }

    static func readRemediation(_ node: Node, _ reader: inout NodeReader) -> Remediation? {
        guard var m = reader.mapping(node, what: "a remediation") else { return nil }
        let fixes = m.take("fixes").flatMap { reader.strings($0, what: "fixes") } ?? []
        if !m.has("fixes") { reader.error(node, "a remediation needs `fixes`, the findings it fixes") }
        let risk = m.take("risk").flatMap { reader.enumeration($0, Risk.self, what: "risk") }
        if !m.has("risk") { reader.error(node, "a remediation needs a `risk` (safe, changes, destructive)") }
        let verify = m.take("verify").flatMap { reader.strings($0, what: "verify") }
        let word = m.take("confirm_word").flatMap { reader.string($0, what: "confirm_word") }
        let guardSteps = m.take("guard").flatMap { reader.strings($0, what: "guard") }
        if risk == .destructive, word == nil {
            reader.error(node, "a destructive remediation needs `confirm_word`, the word the operator types to confirm")
        }
        guard let read = readStep(node, &reader, what: "a remediation", extraKeys: remediationKeys, prepared: m),
            let risk
        else { return nil }
        if case .runbook = read.step.action, let k = read.mapping.keyNode("runbook") {
            reader.error(k, "a remediation cannot run a runbook; point to it in a `manual` one, or include it as a step")
        }
        if case .sweep = read.step.action, let k = read.mapping.keyNode("sweep") {
            reader.error(k, "a remediation cannot sweep runbooks; sweep them in a step")
        }
        if case .ask = read.step.action, let k = read.mapping.keyNode("ask") {
            reader.error(k, "a remediation cannot ask a question; ask it in a step before")
        }
        var remediation = Remediation(
            id: read.step.id, title: read.step.title, fixes: fixes, risk: risk, action: read.step,
            verify: verify, confirmWord: word, guardSteps: guardSteps, location: reader.location(node)
        )
        remediation.review = read.review
        return remediation
    }

    static func yamlErrorLocation(_ error: YamlError, file: String, yaml: String) -> FilePosition {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return FilePosition(file: file, line: max(mark.line, 1), column: max(mark.column, 1))
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Point at the second time the key is written.
            if let key = duplicates.first {
                var seen = 0
                for (n, line) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let trimmed = line.drop { $0 == " " || $0 == "-" }
                    if trimmed.hasPrefix(key + ":") {
                        seen += 1
                        if seen == 2 { return FilePosition(file: file, line: n + 1, column: line.count - trimmed.count + 1) }
                    }
                }
            }
            return FilePosition(file: file, line: max(context.mark.line, 1), column: max(context.mark.column, 1))
        default:
            return FilePosition(file: file, line: 1, column: 1)
        }
    }

    static func yamlErrorMessage(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            guard let context, !context.text.isEmpty else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key \(duplicates.map { "`\($0)`" }.joined(separator: ", "))"
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }
}
