import Foundation

/// Sweeps: several runbooks' diagnostics at once, each in a session of its
/// own, then one diagnosis over what they all found.
extension RunbookSession {
    /// The sessions the pending sweep step runs, one per runbook it names
    /// (named `RUNBOOK/...`, diagnosing only, with this session's answers and
    /// targets), and the names that match no runbook.
    /// No step of theirs runs longer than `timeout`, the sweep step's own.
    public func sweepBranches(_ sweep: SweepAction, timeout: Double) -> (branches: [RunbookSession], missing: [String]) {
        var branches: [RunbookSession] = []
        var missing: [String] = []
        for name in sweep.runbooks {
            guard let book = resolve(name), book.id != runbook.id else {
                missing.append(name)
                continue
            }
            guard !branches.contains(where: { $0.runbook.id == book.id }) else { continue }
            branches.append(
                RunbookSession(
                    runbook: book, policy: policy, targets: targets, answers: presetAnswers, resolve: resolve,
                    prefix: top.prefix + book.id + "/", diagnoseOnly: true, timeoutCap: timeout))
        }
        return (branches, missing)
    }

    /// The findings `f`'s rule says it explains, qualified: `ID` in the same
    /// runbook, `RUNBOOK/ID` in another swept beside it (under `sweepPrefix`).
    func explained(by f: Finding, sweepPrefix: String) -> [String]? {
        guard let (s, prefix) = knownSteps[f.step], let rule = s.findings.first(where: { prefix + $0.id == f.id }) else { return nil }
        return rule.explains.map { ref in
            let parts = ref.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return prefix + ref }
            return sweepPrefix + (resolve(parts[0])?.id ?? parts[0]) + "/" + parts[1]
        }
    }

    /// Open findings another open finding explains (a loop of them keeps its
    /// first): symptoms. Fixes are offered for causes; a symptom's own fix
    /// (restart the API that reports its database down) would not mend it.
    func symptoms() -> Set<String> {
        Set(Diagnosis.rank(openFindings, explains: openExplains()).diagnosis.causes.flatMap(\.explains))
    }

    /// What each open finding's rule says it explains, qualified as the walk names them.
    func openExplains(resolvedToo: Bool = false) -> [String: [String]] {
        var explains: [String: [String]] = [:]
        let sweepPrefix = swept.isEmpty ? nil : currentPrefix
        for f in resolvedToo ? findings.filter({ $0.state != .unknown }) : openFindings {
            // A finding of a swept runbook names the others under the sweep's prefix; elsewhere, under its own.
            let base = sweepPrefix ?? String(f.id.dropLast(f.id.split(separator: "/").last.map(\.count) ?? 0))
            if let e = explained(by: f, sweepPrefix: base) { explains[f.id] = e }
        }
        return explains
    }

    /// The sweep step ended: takes in what each branch found (their results,
    /// steps and inputs, so the fix's verify steps can run here), ranks the
    /// findings, and offers the remediations of the runbook to start with.
    public mutating func sweepFinished(_ branches: [RunbookSession], missing: [String], milliseconds: Double) -> SessionAction {
        guard case .diagnosing(let i, _) = phase else { return unchanged() }
        let frame = top
        let step = frame.book.steps[i]
        let qualified = frame.prefix + step.id
        var found: [Finding] = []
        var explains: [String: [String]] = [:]
        for branch in branches {
            if !swept.contains(branch.runbook.id) { swept.append(branch.runbook.id) }
            results.merge(branch.results) { _, new in new }
            for (id, known) in branch.knownSteps where knownSteps[id] == nil { knownSteps[id] = known }
            for (prefix, book) in branch.books where books[prefix] == nil { books[prefix] = book }
            for f in branch.findings {
                found.append(f)
                if let e = branch.explained(by: f, sweepPrefix: frame.prefix) { explains[f.id] = e }
            }
        }
        let ranked = Diagnosis.rank(found, explains: explains)
        // Inputs of the runbook to start with come first: its fixes' verify steps read them.
        let start = ranked.diagnosis.startWith
        for branch in branches.sorted(by: { a, _ in a.runbook.id == start }) {
            for (name, value) in branch.vars where vars[name] == nil { vars[name] = value }
        }
        findings += ranked.findings
        diagnosis = ranked.diagnosis
        if let start, let branch = branches.first(where: { $0.runbook.id == start }) {
            for id in branch.remediationOrder {
                guard let known = branch.knownRemediations[id], knownRemediations[id] == nil else { continue }
                knownRemediations[id] = known
                remediationOrder.append(id)
            }
        }
        let open = ranked.findings.filter { $0.state == .open }
        var result = StepResult(
            status: branches.isEmpty ? .error : .ok,
            error: missing.isEmpty ? nil : "no runbook \(missing.joined(separator: ", "))",
            values: [
                "start_with": ranked.diagnosis.startWith.map(Value.string) ?? .null,
                "causes": .number(Double(ranked.diagnosis.causes.count)),
                "findings": .number(Double(open.count)),
                "worst": .string(open.map(\.severity).max()?.rawValue ?? "none"),
            ])
        result.durationMilliseconds = milliseconds
        let own = evaluate(step, qualified: qualified, prefix: frame.prefix, result: result)
        records.append(.stepEnded(step: qualified, purpose: .diagnose, result: result, findings: own))
        records.append(.diagnosis(step: qualified, ranked.diagnosis))
        trail.append(qualified)
        return advance(from: i)
    }
}

/// The sweep's second phase: a timeout at the sweep's cap is not evidence,
/// so a step that hit it, and that a warning or critical verdict reads, runs
/// again with its own timeout before the diagnosis is drawn. "Slow" (it
/// answers in its own time), "hung" (it does not) and "refuses" are told
/// apart there, not at the cap.
extension RunbookSession {
    /// No step runs longer than this in the second phase, whatever its own timeout.
    public static let recheckLimit: Double = 30

    /// This branch's steps to run again: stopped at the sweep's cap (shorter
    /// than their own timeout) or with a CPU screen that held, and read by a warning or critical finding (theirs,
    /// or another step's through `steps.ID`). Filled in, with their own timeouts.
    public func rechecks() -> [PendingStep] {
        var out: [PendingStep] = []
        for (qualified, result) in results.sorted(by: { $0.key < $1.key }) where result.values["capped"] == .bool(true) {
            guard let (step, prefix) = knownSteps[qualified], verdictReads(qualified, prefix: prefix) else { continue }
            let rendered = step.action.rendered(in: scope(qualified, prefix: prefix))
            var s = step
            s.id = qualified
            s.action = rendered.action
            s.timeout = min(step.timeout, Self.recheckLimit)
            out.append(PendingStep(step: s, purpose: .recheck, missing: rendered.missing))
        }
        return out
    }

    /// Whether a warning or critical finding of the walk reads this step's results.
    func verdictReads(_ qualified: String, prefix: String) -> Bool {
        guard let (step, _) = knownSteps[qualified] else { return false }
        if step.findings.contains(where: { $0.severity > .info }) { return true }
        let local = String(qualified.dropFirst(prefix.count))
        return dependents(of: local, prefix: prefix).contains { other in
            other.findings.contains { $0.severity > .info && $0.condition.names.contains { $0.hasPrefix("steps.\(local).") } }
        }
    }

    /// The steps, in the runbook at `prefix`, whose findings read `steps.LOCAL.`.
    func dependents(of local: String, prefix: String) -> [Step] {
        knownSteps.values.filter { $0.prefix == prefix }.map(\.step).filter { s in
            s.findings.contains { $0.condition.names.contains { $0.hasPrefix("steps.\(local).") } }
        }
    }

    /// In a sweep's branch, the step as it may go on past the cap: with its
    /// own timeout, when the cap shortened it and a warning or critical verdict reads it.
    public func pastCap(_ pending: PendingStep) -> PendingStep? {
        guard timeoutCap != nil, pending.purpose == .diagnose, let (step, prefix) = knownSteps[pending.step.id],
            step.timeout > pending.step.timeout, verdictReads(pending.step.id, prefix: prefix)
        else { return nil }
        var own = pending
        own.step.timeout = min(step.timeout, Self.recheckLimit)
        return own
    }

    /// Records that the second phase's steps are under way.
    public mutating func beginRechecks(_ steps: [PendingStep]) { begin(group: steps) }

    /// A step run again with its own timeout: its findings, and those of the
    /// steps that read it, judged afresh from what it answered.
    public mutating func rechecked(_ qualified: String, result: StepResult) {
        guard let (step, prefix) = knownSteps[qualified] else { return }
        let found = evaluate(step, qualified: qualified, prefix: prefix, result: result)
        records.append(.stepEnded(step: qualified, purpose: .recheck, result: result, findings: found))
        let local = String(qualified.dropFirst(prefix.count))
        for other in dependents(of: local, prefix: prefix).sorted(by: { $0.id < $1.id }) {
            let id = prefix + other.id
            guard id != qualified, let theirs = results[id] else { continue }
            let again = evaluate(other, qualified: id, prefix: prefix, result: theirs)
            records.append(.stepEnded(step: id, purpose: .recheck, result: theirs, findings: again))
        }
    }
}
