import Foundation
import Yams

/// Checks what a runbook's parts say of each other: ids, references, reachability.
enum RunbookChecker {
    static func check(_ runbook: Runbook, root: Node, reader: inout NodeReader) {
        let stepNodes = root["steps"]?.sequence.map(Array.init) ?? []
        let remediationNodes = root["remediations"]?.sequence.map(Array.init) ?? []
        func stepNode(_ index: Int, _ key: String? = nil) -> Node {
            guard index < stepNodes.count else { return root }
            guard let key else { return stepNodes[index] }
            return stepNodes[index].mapping?[key] ?? stepNodes[index]
        }
        func remediationNode(_ index: Int, _ key: String? = nil) -> Node {
            guard index < remediationNodes.count else { return root }
            guard let key else { return remediationNodes[index] }
            return remediationNodes[index].mapping?[key] ?? remediationNodes[index]
        }

        // Ids.
        var stepIDs: [String: Int] = [:]
        for (i, step) in runbook.steps.enumerated() {
            if let first = stepIDs[step.id] {
                reader.error(stepNode(i, "id"), "duplicate step id `\(step.id)` (first at line \(stepNode(first).mark?.line ?? 0))")
            } else {
                stepIDs[step.id] = i
            }
        }
        var findingIDs: [String: String] = [:]
        for (i, step) in runbook.steps.enumerated() {
            for finding in step.findings {
                if let other = findingIDs[finding.id], other != step.id {
                    reader.error(stepNode(i, "findings"), "finding id `\(finding.id)` is also declared by step `\(other)`")
                }
                findingIDs[finding.id] = step.id
            }
        }
        var remediationIDs: Set<String> = []
        for (i, r) in runbook.remediations.enumerated() where !remediationIDs.insert(r.id).inserted {
            reader.error(remediationNode(i, "id"), "duplicate remediation id `\(r.id)`")
        }

        // References. Steps and findings that failed to load still count as
        // declared, so one mistake is not reported again at every use.
        var declaredSteps = Set(stepIDs.keys)
        for node in stepNodes { if let id = node["id"]?.string { declaredSteps.insert(id) } }
        for node in stepNodes {
            for f in node["findings"]?.sequence.map(Array.init) ?? [] {
                if let id = f["id"]?.string, findingIDs[id] == nil { findingIDs[id] = node["id"]?.string ?? "?" }
            }
        }
        let targets = declaredSteps.union([Branch.end])
        for (i, step) in runbook.steps.enumerated() {
            for branch in step.next where !targets.contains(branch.target) {
                reader.error(
                    stepNode(i, "next"),
                    "`next` names `\(branch.target)`, which is no step\(Suggestion.hint(for: branch.target, in: targets))")
            }
            checkNames(in: step.findings.map(\.condition), at: stepNode(i, "findings"), known: declaredSteps, reader: &reader)
            checkNames(in: step.next.compactMap(\.condition), at: stepNode(i, "next"), known: declaredSteps, reader: &reader)
            checkResults(of: step, in: runbook, node: i < stepNodes.count ? stepNodes[i] : root, reader: &reader)
            checkMessages(of: step, in: runbook, node: i < stepNodes.count ? stepNodes[i] : root, reader: &reader)
            checkTimeouts(of: step, node: i < stepNodes.count ? stepNodes[i] : root, reader: &reader)
            CommandChecker.check(step, remediation: false, node: stepNode(i, step.action.kind), reader: &reader)
        }
        for (i, r) in runbook.remediations.enumerated() {
            for fix in r.fixes where findingIDs[fix] == nil {
                reader.error(
                    remediationNode(i, "fixes"),
                    "`fixes` names `\(fix)`, which no step reports\(Suggestion.hint(for: fix, in: findingIDs.keys))")
            }
            checkGuard(of: r, node: remediationNode(i), in: runbook, findingSteps: findingIDs, declared: declaredSteps, reader: &reader)
            CommandChecker.check(r.action, remediation: true, node: remediationNode(i, r.action.action.kind), reader: &reader)
            for verify in r.verify ?? [] where !declaredSteps.contains(verify) {
                reader.error(
                    remediationNode(i, "verify"),
                    "`verify` names `\(verify)`, which is no step\(Suggestion.hint(for: verify, in: stepIDs.keys))")
            }
            checkNames(
                in: r.action.findings.map(\.condition) + r.action.next.compactMap(\.condition),
                at: remediationNode(i), known: declaredSteps, reader: &reader)
            checkResults(of: r.action, in: runbook, node: remediationNode(i), reader: &reader)
        }
        for (i, input) in runbook.inputs.enumerated() where runbook.inputs[..<i].contains(where: { $0.id == input.id }) {
            reader.error(root["inputs"] ?? root, "duplicate input id `\(input.id)`")
        }

        // Graph.
        guard !runbook.steps.isEmpty, stepIDs.count == runbook.steps.count, runbook.steps.count == stepNodes.count else { return }
        let edges = successors(runbook)
        var reachable: Set<Int> = [0]
        var queue = [0]
        while let i = queue.popLast() {
            for j in edges[i] where j >= 0 && reachable.insert(j).inserted { queue.append(j) }
        }
        for i in runbook.steps.indices where !reachable.contains(i) {
            reader.error(stepNode(i, "id"), "step `\(runbook.steps[i].id)` cannot be reached from the first step")
        }
        // Which steps can reach the end (-1)? Walk the edges backwards from it.
        var predecessors = [[Int]](repeating: [], count: runbook.steps.count)
        var canEnd = Set<Int>()
        var pending: [Int] = []
        for (i, targets) in edges.enumerated() {
            for j in targets {
                if j < 0 { if canEnd.insert(i).inserted { pending.append(i) } } else { predecessors[j].append(i) }
            }
        }
        while let j = pending.popLast() {
            for i in predecessors[j] where canEnd.insert(i).inserted { pending.append(i) }
        }
        for i in runbook.steps.indices where reachable.contains(i) && !canEnd.contains(i) {
            reader.error(stepNode(i, "next"), "step `\(runbook.steps[i].id)` is in a loop with no way out")
        }
    }

    /// Indexes each step can go to; -1 is the end.
    static func successors(_ runbook: Runbook) -> [[Int]] {
        runbook.steps.indices.map { i in
            runbook.exits(from: i).map { $0.target == Branch.end ? -1 : (runbook.stepIndex($0.target) ?? -1) }
        }
    }

    /// Reports each result name a step's findings (conditions and messages)
    /// and branches read that its kind (or, for `steps.ID.NAME`, that
    /// step's kind) never produces: a misspelt name would otherwise be
    /// found only at run time, as an unknown finding.
    private static func checkResults(of step: Step, in runbook: Runbook, node: Node, reader: inout NodeReader) {
        /// Where a name is read: a finding's `when` or `message` (by index), or `next`.
        enum Place {
            case finding(Int, String)
            case next
        }
        var reads: [(name: String, at: Place)] = []
        for (j, finding) in step.findings.enumerated() {
            reads += finding.condition.names.map { ($0, .finding(j, "when")) }
            reads += Template.names(in: finding.message).map { ($0, .finding(j, "message")) }
        }
        reads += step.next.compactMap(\.condition).flatMap(\.names).map { ($0, .next) }
        for (name, place) in reads {
            let kind: StepKind?
            let result: String
            if name.hasPrefix("steps.") {
                let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
                guard parts.count == 3 else { continue }
                kind = runbook.step(parts[1])?.action.stepKind
                result = parts[2]
            } else if name.hasPrefix("vars.") || name.hasPrefix("inputs.") || name.hasPrefix("targets.") {
                continue
            } else {
                kind = step.action.stepKind
                result = name
            }
            guard let kind, !kind.produces(result) else { continue }
            // The node is looked up only for a name to report: reading YAML nodes by key is not free.
            let at: Node
            switch place {
            case .finding(let j, let key):
                let items = node["findings"]?.sequence.map(Array.init) ?? []
                at = j < items.count ? (items[j][key] ?? items[j]) : node
            case .next:
                at = node["next"] ?? node
            }
            reader.error(
                at, "`\(name)`: \(kind.name) steps have no result `\(result)`\(Suggestion.hint(for: result, in: kind.knownResults))")
        }
    }

    /// Targets every session has (rbsh falls back to defaults for them); others may be null.
    static let alwaysTargets: Set<String> = [
        "postgres", "postgres.host", "postgres.port", "postgres.address", "redis", "redis.host", "redis.port",
        "api", "api.host", "api.port", "api.scheme", "api.ws",
    ]

    /// A message never shows `${...}` or `null`: each name it reads is one its
    /// condition guarantees, a result of its own step (a step that ran has
    /// every name, null at worst; one that could not run gives no finding),
    /// an input with a default, a target every session has, or it has a fallback.
    private static func checkMessages(of step: Step, in runbook: Runbook, node: Node, reader: inout NodeReader) {
        let defaulted = Set(runbook.inputs.filter { $0.defaultValue != nil }.map(\.id))
        for (j, finding) in step.findings.enumerated() {
            let guaranteed = finding.condition.guaranteed
            for (name, hasFallback) in Template.references(in: finding.message) where !hasFallback && !guaranteed.contains(name) {
                let why: String
                if name.hasPrefix("steps.") {
                    why = "another step's result may be unknown (that step may not have run)"
                } else if name.hasPrefix("vars.") || name.hasPrefix("inputs.") {
                    let input = String(name.drop(while: { $0 != "." }).dropFirst())
                    if defaulted.contains(input) { continue }
                    why = "`\(input)` is not an input with a default"
                } else if name.hasPrefix("targets.") {
                    if alwaysTargets.contains(String(name.dropFirst("targets.".count))) { continue }
                    why = "not every platform has that target"
                } else {
                    continue
                }
                let items = node["findings"]?.sequence.map(Array.init) ?? []
                let at = j < items.count ? (items[j]["message"] ?? items[j]) : node
                reader.error(
                    at,
                    "the message of `\(finding.id)` reads `${\(name)}`, which its condition does not guarantee: \(why); test it in `when`, or give a fallback: `${\(name):-...}`"
                )
            }
        }
    }

    /// A fix that changes something re-checks, right before it acts, what it
    /// fixes: its `guard` steps, or the steps that report its findings. One
    /// with nothing that can run again would act on what was seen minutes ago.
    private static func checkGuard(
        of r: Remediation, node: Node, in runbook: Runbook, findingSteps: [String: String], declared: Set<String>,
        reader: inout NodeReader
    ) {
        func rerunnable(_ id: String) -> Bool {
            guard let step = runbook.step(id) else { return false }
            switch step.action {
            case .ask, .manual, .runbook, .sweep: return false
            default: return true
            }
        }
        let at = node.mapping?["guard"] ?? node
        if let named = r.guardSteps {
            for id in named where !declared.contains(id) {
                reader.error(at, "`guard` names `\(id)`, which is no step\(Suggestion.hint(for: id, in: declared))")
            }
            for id in named where declared.contains(id) && !rerunnable(id) {
                reader.error(at, "`guard` names `\(id)`, which cannot run again by itself (an ask, manual, runbook or sweep step)")
            }
            if named.isEmpty, r.isGuarded {
                reader.error(at, "`\(r.id)` (\(r.risk.rawValue)) needs a `guard` step to re-check right before it acts")
            }
            return
        }
        guard r.isGuarded, !r.fixes.isEmpty, r.fixes.allSatisfy({ findingSteps[$0] != nil }) else { return }
        if !r.fixes.contains(where: { findingSteps[$0].map(rerunnable) ?? false }) {
            reader.error(
                node,
                "`\(r.id)` (\(r.risk.rawValue)) has nothing to re-check right before it acts: the findings it fixes come from steps that cannot run again; name a `guard` step"
            )
        }
    }

    /// A warning or critical finding is evidence only when what it reads
    /// was measured: one whose condition holds when its step (or a step it
    /// reads) timed out would call a timeout a fault. It must say so by
    /// reading `timed_out`, or exclude the timeout.
    private static func checkTimeouts(of step: Step, node: Node, reader: inout NodeReader) {
        switch step.action {
        case .ask, .manual, .runbook, .sweep: return
        default: break
        }
        let timedOut = StepResult(status: .timeout, error: "timed out", values: ["error_kind": .string("timeout")])
        for (j, finding) in step.findings.enumerated() where finding.severity > .info {
            let names = finding.condition.names
            guard !names.contains(where: { $0 == "timed_out" || $0.hasSuffix(".timed_out") }) else { continue }
            var others: [String: StepResult] = [:]
            for name in names where name.hasPrefix("steps.") {
                let parts = name.split(separator: ".", maxSplits: 2)
                if parts.count == 3 { others[String(parts[1])] = timedOut }
            }
            let scope = SessionScope(own: timedOut, results: others, vars: [:], targets: [:])
            guard finding.condition.evaluate(in: scope).holds else { continue }
            let items = node["findings"]?.sequence.map(Array.init) ?? []
            let at = j < items.count ? (items[j]["when"] ?? items[j]) : node
            reader.error(
                at,
                "`\(finding.id)` (\(finding.severity.rawValue)) holds when the step it reads times out: a timeout is not evidence; read `timed_out` to report the timeout itself, or exclude it (`... and not timed_out`)"
            )
        }
    }

    private static func checkNames(in expressions: [Expression], at node: Node, known: Set<String>, reader: inout NodeReader) {
        for expression in expressions {
            for name in expression.names where name.hasPrefix("steps.") {
                let parts = name.split(separator: ".", maxSplits: 2)
                if parts.count < 3 {
                    reader.error(node, "`\(name)` needs a result name: steps.STEP.NAME")
                } else if !known.contains(String(parts[1])) {
                    reader.error(
                        node, "`\(name)` names step `\(parts[1])`, which does not exist\(Suggestion.hint(for: String(parts[1]), in: known))"
                    )
                }
            }
        }
    }
}
