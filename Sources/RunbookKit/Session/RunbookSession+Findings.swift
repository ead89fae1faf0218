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
                // A step that did not finish has no answer to judge: its
                // error explains that, not a finding per missing name.
                guard result.finished else { continue }
                found.append(
                    Finding(
                        id: id, severity: rule.severity,
                        message:
                            "unknown: \(why(unknown: name, prefix: prefix)) (\(Template.render(rule.message, in: scope, unknownAs: "?").text))",
                        step: qualified, state: .unknown, runbook: books[prefix]))
            }
        }
        let ruleIDs = Set(step.findings.map { prefix + $0.id })
        var updated: [Finding] = []
        for old in findings {
            guard ruleIDs.contains(old.id) else { updated.append(old); continue }
            // Found again: the new one stands. Open and no longer holding: resolved. Resolved: stays so.
            if found.contains(where: { $0.id == old.id }) { continue }
            if old.state == .open, !result.finished {
                // Run again and did not finish: whether it still holds is unknown, not resolved.
                var unknown = old
                unknown.state = .unknown
                unknown.message =
                    "unknown: step `\(qualified)` \(result.status == .timeout ? "timed out" : "did not finish") (\(old.message))"
                updated.append(unknown)
            } else if old.state == .open {
                var resolved = old
                resolved.state = .resolved
                updated.append(resolved)
            } else if old.state == .resolved {
                updated.append(old)
            } else if let held = Self.heldBefore(old, step: qualified) {
                // It held, a run that did not finish left it unknown: this one's answer decides.
                var again = old
                if result.finished {
                    again.state = .resolved
                    again.message = held
                }
                updated.append(again)
            }
        }
        findings = updated + found
        return found
    }

    /// The message of a finding that held before a run of its step that did not finish made it unknown.
    static func heldBefore(_ finding: Finding, step: String) -> String? {
        guard finding.state == .unknown, finding.message.hasSuffix(")") else { return nil }
        for why in ["timed out", "did not finish"] {
            let prefix = "unknown: step `\(step)` \(why) ("
            if finding.message.hasPrefix(prefix) { return String(finding.message.dropFirst(prefix.count).dropLast()) }
        }
        return nil
    }

    /// A diagnostic step's result judged: in a sweep's branch, a step
    /// stopped at the sweep's cap (shorter than its own timeout) says
    /// nothing yet: it is kept marked `capped`, reports no finding, and runs
    /// again with its own timeout if a verdict reads it (`rechecks()`).
    ///
    /// Likewise a CPU sample the sweep shortened is a screen: when a warning
    /// or critical finding over `cpu_pct` holds on it, the step runs again
    /// over its own window before anything is said.
    mutating func judge(_ step: Step, qualified: String, prefix: String, result: StepResult) -> [Finding] {
        guard let cap = timeoutCap else { return evaluate(step, qualified: qualified, prefix: prefix, result: result) }
        // A step a verdict reads ran with its own timeout (`pastCap`): its timeout is its own,
        // unless the stepper said it was still running at the cap.
        let ownTimeout = verdictReads(qualified, prefix: prefix) && result.values["capped"] == nil
        var atCap = result.status == .timeout && step.timeout > cap && !ownTimeout
        if !atCap, result.finished, case .system(let a) = step.action, a.sampleMilliseconds > Self.sweepSampleCap {
            let screen = SessionScope(own: result, results: results, prefix: prefix, vars: vars, targets: targets)
            atCap = step.findings.contains { rule in
                rule.severity > .info && rule.condition.names.contains("cpu_pct") && rule.condition.evaluate(in: screen).holds
            }
        }
        guard atCap else { return evaluate(step, qualified: qualified, prefix: prefix, result: result) }
        var capped = result
        capped.values["capped"] = .bool(true)
        results[qualified] = capped
        return []
    }

    /// Why a name has no value: the step it belongs to did not finish, or it has none.
    func why(unknown name: String, prefix: String) -> String {
        let parts = name.split(separator: ".", maxSplits: 2)
        if parts.count == 3, parts[0] == "steps", let r = results[prefix + String(parts[1])], !r.finished {
            return "step `\(parts[1])` \(r.status == .timeout ? "timed out" : (r.status == .skipped ? "did not run" : "could not run"))"
        }
        if parts.count >= 2, parts[0] == "steps", results[prefix + String(parts[1])] == nil { return "step `\(parts[1])` did not run" }
        return "`\(name)` has no value"
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
