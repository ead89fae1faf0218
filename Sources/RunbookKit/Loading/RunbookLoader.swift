import Clients
import Foundation
import Yams

/// Turns runbook YAML into a `Runbook`, reporting every problem it finds
/// as `file:line:column: message`, not just the first.
public enum RunbookLoader {
    public struct Outcome: Sendable {
        /// Nil when an error made the runbook unusable.
        public var runbook: Runbook?
        public var diagnostics: [Diagnostic]
        public var errors: [Diagnostic] { diagnostics.filter { $0.level == .error } }
    }

    static let topKeys = ["id", "title", "aliases", "category", "symptoms", "inputs", "steps", "remediations", "description"]
    static let remediationKeys = ["id", "title", "fixes", "risk", "verify", "confirm_word", "guard"]
    static let findingKeys = ["id", "when", "severity", "message", "explains"]

    public static func load(path: String) -> Outcome {
        let display = displayPath(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            return Outcome(runbook: nil, diagnostics: [Diagnostic(FilePosition(file: display, line: 1, column: 1), "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return Outcome(
                runbook: nil, diagnostics: [Diagnostic(FilePosition(file: display, line: 1, column: 1), "the file is not UTF-8 text")])
        }
        var outcome =
            path.hasSuffix(".md") ? load(markdown: text, file: display, origin: display) : load(yaml: text, file: display, origin: display)
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        outcome.runbook?.source = RunbookSource(
            given: path, path: (absolute as NSString).standardizingPath, sha256: FileDigest.sha256(data))
        return outcome
    }

    static func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    public static func load(yaml: String, file: String, origin: String? = nil) -> Outcome {
        var reader = NodeReader(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                reader.error(FilePosition(file: file, line: 1, column: 1), "the file is empty")
                return Outcome(runbook: nil, diagnostics: reader.diagnostics)
            }
            root = node
        } catch let error as YamlError {
            reader.error(yamlErrorLocation(error, file: file, yaml: yaml), "YAML syntax: \(yamlErrorMessage(error))")
            return Outcome(runbook: nil, diagnostics: reader.diagnostics)
        } catch {
            reader.error(FilePosition(file: file, line: 1, column: 1), "YAML syntax: \(error)")
            return Outcome(runbook: nil, diagnostics: reader.diagnostics)
        }

        guard var top = reader.mapping(root, what: "a runbook") else {
            return Outcome(runbook: nil, diagnostics: reader.diagnostics)
        }
        // A missing key that is only misspelt is reported once, as the misspelling.
        let misspelt = Set(top.entries.filter { !topKeys.contains($0.key) }.compactMap { Suggestion.closest(to: $0.key, in: topKeys) })
        func missing(_ key: String, _ message: String) {
            if !top.has(key), !misspelt.contains(key) { reader.error(root, message) }
        }
        let id = top.take("id").flatMap { reader.string($0, what: "id") }
        missing("id", "missing `id`")
        if let id, !isIdentifier(id), let node = top.take("id") {
            reader.error(node, "id `\(id)` must be lower-case letters, digits and dashes")
        }
        let title = top.take("title").flatMap { reader.string($0, what: "title") }
        missing("title", "missing `title`")
        let aliasesNode = top.take("aliases")
        let aliases = aliasesNode.flatMap { reader.strings($0, what: "aliases") } ?? []
        let category: Runbook.Category?
        if let node = top.take("category") {
            category = reader.enumeration(node, Runbook.Category.self, what: "category")
        } else {
            missing("category", "missing `category` (one of \(Runbook.Category.allCases.map(\.rawValue).joined(separator: ", ")))")
            category = nil
        }
        let symptoms = top.take("symptoms").flatMap { reader.strings($0, what: "symptoms") } ?? []
        let description = top.take("description").flatMap { reader.string($0, what: "description") } ?? ""
        let inputs = top.take("inputs").map { readInputs($0, &reader) } ?? []

        var steps: [Step] = []
        if let node = top.take("steps") {
            if let seq = node.sequence, seq.count > 0 {
                for item in seq {
                    if let step = readStep(item, &reader, what: "a step", extraKeys: []) { steps.append(step.step) }
                }
            } else {
                reader.error(node, "`steps` must be a list with at least one step")
            }
        } else {
            missing("steps", "missing `steps`")
        }

        var remediations: [Remediation] = []
        if let node = top.take("remediations") {
            if let seq = node.sequence {
                for item in seq {
                    if let r = readRemediation(item, &reader) { remediations.append(r) }
                }
            } else {
                reader.error(node, "`remediations` must be a list")
            }
        }
        reader.finish(top, known: topKeys, what: "a runbook")

        // The parts are checked against each other even when the header is
        // incomplete, so one run reports every problem.
        let runbook = Runbook(
            id: id ?? "", title: title ?? "", aliases: aliases, category: category ?? .tool, symptoms: symptoms,
            description: description, inputs: inputs, steps: steps, remediations: remediations, origin: origin ?? file,
            aliasesLocation: aliasesNode.map { reader.location($0) }
        )
        RunbookChecker.check(runbook, root: root, reader: &reader)
        let diagnostics = reader.diagnostics.sorted {
            ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
        }
        let usable = !diagnostics.contains { $0.level == .error }
        return Outcome(runbook: usable && id != nil && title != nil && category != nil ? runbook : nil, diagnostics: diagnostics)
    }

    /// Reads a step; `extraKeys` are keys the caller (a remediation) reads itself.
    static func readStep(
        _ node: Node, _ reader: inout NodeReader, what: String, extraKeys: [String],
        prepared: NodeReader.Mapping? = nil
    ) -> ReadStep? {
        guard var m = prepared ?? reader.mapping(node, what: what) else { return nil }
        let id = m.take("id").flatMap { reader.string($0, what: "step id") }
        if !m.has("id") { reader.error(node, "\(what) needs an `id`") }
        if let id, !isIdentifier(id), let k = m.take("id") {
            reader.error(k, "step id `\(id)` must be lower-case letters, digits and dashes (and not `end`)")
        }
        let title = m.take("title").flatMap { reader.string($0, what: "title") }
        let description = m.take("description").flatMap { reader.string($0, what: "description") } ?? ""
        let timeout = m.take("timeout").flatMap { reader.duration($0, what: "timeout") } ?? Step.defaultTimeout
        // A decision a person still has to make (an imported draft's guess): said by lint, not a problem.
        let reviewNode = m.take("review")
        let review = reviewNode.flatMap { reader.string($0, what: "review") }
        if let review, let reviewNode {
            reader.diagnostics.append(Diagnostic(reader.location(reviewNode), review, level: .review))
        }

        let kinds = m.entries.filter { StepKind.names.contains($0.key) }
        var action: StepAction?
        if kinds.isEmpty {
            let known = Set(StepKind.stepKeys + extraKeys + findingKeys)
            let unknown = m.entries.first { !known.contains($0.key) && !StepKind.names.contains($0.key) }
            if let unknown {
                let hint = Suggestion.hint(for: unknown.key, in: StepKind.names)
                reader.error(
                    unknown.keyNode,
                    "unknown step kind `\(unknown.key)`\(hint.isEmpty ? " (kinds: \(StepKind.names.joined(separator: ", ")))" : hint)")
                m.used.insert(unknown.key)
            } else {
                reader.error(node, "\(what) needs a kind: one of \(StepKind.names.joined(separator: ", "))")
            }
        } else if kinds.count > 1 {
            reader.error(kinds[1].keyNode, "a step has one kind; found both `\(kinds[0].key)` and `\(kinds[1].key)`")
            for k in kinds { m.used.insert(k.key) }
        } else {
            action = StepActionReader.read(kind: kinds[0].key, body: kinds[0].value, mapping: &m, reader: &reader)
        }

        var findings: [FindingRule] = []
        if let node = m.take("findings") {
            if let seq = node.sequence {
                for item in seq {
                    guard var f = reader.mapping(item, what: "a finding") else { continue }
                    let fid = f.take("id").flatMap { reader.string($0, what: "finding id") }
                    if !f.has("id") { reader.error(item, "a finding needs an `id`") }
                    let when = f.take("when").flatMap { reader.expression($0, what: "`when`") }
                    if !f.has("when") { reader.error(item, "a finding needs `when`, the condition that makes it") }
                    let severity = f.take("severity").flatMap { reader.enumeration($0, Severity.self, what: "severity") }
                    if !f.has("severity") { reader.error(item, "a finding needs a `severity` (info, warning, critical)") }
                    let messageNode = f.take("message")
                    let message = messageNode.flatMap { reader.string($0, what: "message") }
                    if let message, let messageNode, Template.hasNesting(message) {
                        reader.error(messageNode, "`${...}` does not nest: a fallback after `:-` is plain text")
                    }
                    let explains = f.take("explains").flatMap { reader.strings($0, what: "explains") } ?? []
                    reader.finish(f, known: findingKeys, what: "a finding")
                    if let fid, let when, let severity {
                        findings.append(
                            FindingRule(id: fid, condition: when, severity: severity, message: message ?? fid, explains: explains))
                    }
                }
            } else {
                reader.error(node, "`findings` must be a list")
            }
        }

        var next: [Branch] = []
        if let node = m.take("next") {
            if let target = node.scalar?.string {
                next = [Branch(target: target)]
            } else if let seq = node.sequence {
                for item in seq {
                    if let target = item.scalar?.string {
                        next.append(Branch(target: target))
                        continue
                    }
                    guard var b = reader.mapping(item, what: "a branch") else { continue }
                    let cond = b.take("when").flatMap { reader.expression($0, what: "`when`") }
                    let target = b.take("goto").flatMap { reader.string($0, what: "goto") }
                    if !b.has("goto") { reader.error(item, "a branch needs `goto`, a step id or `end`") }
                    reader.finish(b, known: ["when", "goto"], what: "a branch")
                    if let target { next.append(Branch(target: target, condition: cond)) }
                }
            } else {
                reader.error(node, "`next` must be a step id or a list of {when, goto}")
            }
        }

        if let action, action.templatedTexts.contains(where: Template.hasNesting),
            let k = m.entries.first(where: { $0.key == action.kind })?.keyNode
        {
            reader.error(k, "`${...}` does not nest: a fallback after `:-` is plain text")
        }
        let concurrent = m.take("concurrent").flatMap { reader.bool($0, what: "concurrent") } ?? false
        if concurrent, !next.isEmpty, let k = m.keyNode("concurrent") {
            reader.error(k, "a concurrent step cannot have `next`: the steps of a group run together, in order")
        }
        if concurrent, action?.isInteractive == true, let k = m.keyNode("concurrent") {
            reader.error(k, "`\(action?.kind ?? "")` steps cannot be concurrent: they need the operator or the walk")
        }
        var placement: Step.Placement?
        if let node = m.take("on"), let text = reader.string(node, what: "on") {
            placement = Step.Placement(rawValue: text)
            if placement == nil {
                reader.error(node, "`on` is `hosts` or `local`, not `\(text)`")
            } else if placement == .hosts, let action, !Step.canRunOnHosts(action) {
                reader.error(node, "only shell, system and listening tcp steps run on hosts; a \(action.kind) step runs once, from here")
            }
        }
        let scans = m.take("scans").flatMap { reader.strings($0, what: "scans") } ?? []
        if !scans.isEmpty, let action, action.kind != "postgres", let k = m.keyNode("scans") {
            reader.error(k, "`scans` names the tables a postgres step reads whole; a \(action.kind) step reads no table")
        }
        for key in extraKeys { m.used.insert(key) }
        reader.finish(m, known: StepKind.commonKeys + (action?.stepKind?.keys ?? StepKind.stepKeys) + extraKeys, what: what)
        guard let id, let action else { return nil }
        var fallbackTitle = id
        if case .ask(let a) = action { fallbackTitle = a.question }
        var step = Step(
            id: id, title: title ?? fallbackTitle, action: action, timeout: timeout, findings: findings, next: next,
            location: reader.location(node)
        )
        step.concurrent = concurrent
        step.placement = placement
        step.scans = scans
        step.description = description
        return ReadStep(step: step, mapping: m, review: review)
    }

}
