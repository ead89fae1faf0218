import Foundation

/// Findings: a step's rules evaluated over its results, and the names they can read.
extension RunbookSession {
    // MARK: - Findings

    /// Stores the result, replaces the step's findings with what its rules
    /// say now, and returns them. A finding that was open and no longer
    /// holds becomes resolved.
    mutating func evaluate(_ step: Step, qualified: String, prefix: String, result: StepResult) -> [Finding] {
        results[qualified] = result
        let scope = scope(qualified, prefix: prefix)
        var found: [Finding] = []
        for rule in step.findings {
            let id = prefix + rule.id
            switch rule.condition.evaluate(in: scope) {
            case .value(let v) where v.isTruthy:
                let message = Template.render(rule.message, in: scope, unknownAs: "?").text
                found.append(Finding(id: id, severity: rule.severity, message: message, step: qualified, runbook: books[prefix]))
            case .value:
                continue
            case .unknown(let name):
                // A step that did not run (or could not) has no results: its
                // error explains that, not a finding per missing name.
                guard [.ok, .failed].contains(result.status) else { continue }
                found.append(
                    Finding(
                        id: id, severity: rule.severity,
                        message: "unknown: `\(name)` has no value (\(Template.render(rule.message, in: scope, unknownAs: "?").text))",
                        step: qualified, state: .unknown, runbook: books[prefix]))
            }
        }
        let ruleIDs = Set(step.findings.map { prefix + $0.id })
        var updated: [Finding] = []
        for old in findings {
            guard ruleIDs.contains(old.id) else { updated.append(old); continue }
            // Found again: the new one stands. Open and no longer holding: resolved. Resolved: stays so.
            if found.contains(where: { $0.id == old.id }) { continue }
            if old.state == .open {
                var resolved = old
                resolved.state = .resolved
                updated.append(resolved)
            } else if old.state == .resolved {
                updated.append(old)
            }
        }
        findings = updated + found
        return found
    }

    /// The names a step's conditions and texts can read: the step's own
    /// results, and `steps.ID.NAME` within the same runbook.
    public func scope(for stepID: String?) -> SessionScope {
        scope(stepID, prefix: frames.last?.prefix ?? "")
    }

    func scope(_ qualified: String?, prefix: String) -> SessionScope {
        SessionScope(own: qualified.flatMap { results[$0] }, results: results, prefix: prefix, vars: vars, targets: targets)
    }
}
