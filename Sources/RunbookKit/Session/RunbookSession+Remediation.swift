import Foundation

/// Remediations: offered for the open findings, decided by the policy or a person, run, then verified.
extension RunbookSession {
    // MARK: - Remediation

    mutating func beginRemediations() -> SessionAction {
        if diagnoseOnly { return finish() }
        return continueQueue(Fixing(queue: matchingRemediations()))
    }

    /// Offers the next remediation of `fixing` that still fixes an open
    /// cause; after the last, the walk goes on where it was, or ends.
    mutating func continueQueue(_ fixing: Fixing) -> SessionAction {
        var fixing = fixing
        let open = Set(openFindings.map(\.id)).subtracting(symptoms())
        while let id = fixing.queue.first {
            fixing.queue.removeFirst()
            guard let (r, prefix) = knownRemediations[id], !open.isDisjoint(with: r.fixes) else { continue }
            let rendered = r.action.action.rendered(in: scope(nil, prefix: prefix))
            var report = remediations[id] ?? RemediationReport(id: id, risk: r.risk)
            report.offered = true
            remediations[id] = report
            records.append(.remediationOffered(id: id, risk: r.risk, fixes: r.fixes, detail: rendered.action.summary))
            switch policy.decide(r) {
            case .refuse(let why):
                records.append(.remediationDecision(id: id, confirmed: false, by: .policy, reason: why))
                remediations[id]?.declined = why
                continue
            case .run:
                records.append(.remediationDecision(id: id, confirmed: true, by: .policy, reason: "--allow"))
                return authorize(id, r, offered: rendered.action.summary, fixing)
            case .ask:
                let c = Confirmation(
                    remediation: id, title: r.title, risk: r.risk, detail: rendered.action.summary,
                    kind: r.action.action.kind, word: r.risk == .destructive ? r.confirmWord : nil,
                    findings: openFindings.filter { r.fixes.contains($0.id) }
                )
                phase = .confirming(c, fixing)
                return .confirm(c)
            }
        }
        if let resume = fixing.resumeAt { return enter(resume) }
        return finish()
    }

    /// A fix a person or the policy said yes to: on to its approval first, when the policy wants one.
    mutating func authorize(_ id: String, _ r: Remediation, offered: String, _ fixing: Fixing) -> SessionAction {
        let owner = knownRemediations[id].flatMap { books[$0.prefix] } ?? runbook.id
        let count = policy.approvals?.needed(runbook: owner, remediation: r.id, risk: r.risk) ?? 0
        guard count > 0 else { return runRemediation(id, r, offered: offered, fixing) }
        let need = ApprovalNeed(
            remediation: id, runbook: owner, title: r.title, risk: r.risk, action: offered, kind: r.action.action.kind,
            fixes: r.fixes, count: count)
        phase = .approving(need, fixing)
        return .approve(need)
    }

    /// The approvals came (`granted`), or did not: then the fix does not run, and `reason` says why.
    public mutating func approved(_ granted: Bool, reason: String?) -> SessionAction {
        guard case .approving(let need, let fixing) = phase, let (r, _) = knownRemediations[need.remediation] else { return unchanged() }
        guard granted else { return refuse(need.remediation, "not approved: \(reason ?? "no approval")", fixing) }
        return runRemediation(need.remediation, r, offered: need.action, fixing)
    }

    /// Runs the fix once a person or the policy said yes: first its guard
    /// (when it has one), then the action.
    mutating func runRemediation(_ id: String, _ r: Remediation, offered: String, _ fixing: Fixing) -> SessionAction {
        guard r.isGuarded else { return act(id, r, fixing) }
        return nextGuard(id, steps: guardSteps(for: id), offered: offered, fixing)
    }

    /// The steps a fix runs again right before it acts: its `guard`, or the
    /// steps that reported the open findings it fixes.
    func guardSteps(for id: String) -> [String] {
        guard let (r, prefix) = knownRemediations[id] else { return [] }
        if let named = r.guardSteps { return named.map { prefix + $0 } }
        var steps: [String] = []
        for f in findings where r.fixes.contains(f.id) && f.state == .open && !steps.contains(f.step) { steps.append(f.step) }
        return steps
    }

    mutating func nextGuard(_ id: String, steps: [String], offered: String, _ fixing: Fixing) -> SessionAction {
        guard let first = steps.first else { return guarded(id, offered: offered, fixing) }
        let rest = Array(steps.dropFirst())
        guard let (step, prefix) = knownSteps[first] else { return nextGuard(id, steps: rest, offered: offered, fixing) }
        let p = pendingStep(step, qualified: first, prefix: prefix, purpose: .guardCheck(id))
        phase = .guarding(id, p, rest: rest, offered: offered, fixing)
        return .run(p)
    }

    /// The guard ran: the fix acts only if a finding it fixes holds now, and
    /// on what it was offered for (the action, filled in afresh from what
    /// the guard saw, names the same pid, session, container...).
    mutating func guarded(_ id: String, offered: String, _ fixing: Fixing) -> SessionAction {
        guard let (r, prefix) = knownRemediations[id] else { return continueQueue(fixing) }
        let mine = findings.filter { r.fixes.contains($0.id) }
        if !mine.contains(where: { $0.state == .open }) {
            let unknown = mine.filter { $0.state == .unknown }.map(\.id)
            let reason =
                unknown.isEmpty
                ? "what it fixes no longer holds (\(r.fixes.joined(separator: ", ")))"
                : "whether what it fixes still holds is unknown (\(unknown.joined(separator: ", ")))"
            return refuse(id, reason, fixing)
        }
        let now = r.action.action.rendered(in: scope(nil, prefix: prefix)).action.summary
        if now != offered {
            return refuse(id, "what it acts on changed since it was offered; now: \(now.split(separator: "\n").first ?? "")", fixing)
        }
        return act(id, r, fixing)
    }

    mutating func refuse(_ id: String, _ reason: String, _ fixing: Fixing) -> SessionAction {
        records.append(.remediationRefused(id: id, reason: reason))
        remediations[id]?.refused = reason
        return continueQueue(fixing)
    }

    mutating func act(_ id: String, _ r: Remediation, _ fixing: Fixing) -> SessionAction {
        let prefix = knownRemediations[id]?.prefix ?? ""
        var action = r.action
        action.id = String(r.action.id.dropFirst(prefix.count))
        let p = pendingStep(action, qualified: id, prefix: prefix, purpose: .remediate(id))
        phase = .remediating(id, p, fixing)
        return .run(p)
    }

    /// Its `verify` steps (or the steps that reported what it fixes), then
    /// the steps of the open findings its findings explain: a cause fixed is
    /// judged by its symptoms too, not assumed to take them along.
    func verifySteps(for id: String) -> [String] {
        guard let r = knownRemediations[id]?.remediation else { return [] }
        var steps: [String] = r.verify ?? []
        if r.verify == nil {
            for f in findings where r.fixes.contains(f.id) && !steps.contains(f.step) { steps.append(f.step) }
        }
        // (Resolved ones too: on a second try what the fix mended already reads resolved, its symptoms may not yet.)
        let explained = explainedFindings(by: r.fixes, resolvedToo: true)
        for f in findings where explained.contains(f.id) && f.state != .resolved && !steps.contains(f.step) && knownSteps[f.step] != nil {
            steps.append(f.step)
        }
        return steps
    }

    /// What these findings explain, directly or through others, by the runbooks' own `explains`.
    func explainedFindings(by ids: [String], resolvedToo: Bool = false) -> Set<String> {
        let edges = openExplains(resolvedToo: resolvedToo)
        var explained: Set<String> = []
        var frontier = ids
        while let next = frontier.popLast() {
            for e in edges[next] ?? [] where explained.insert(e).inserted { frontier.append(e) }
        }
        return explained
    }

    mutating func nextVerify(_ id: String, _ verifying: Verifying, _ fixing: Fixing) -> SessionAction {
        guard let r = knownRemediations[id]?.remediation else { return continueQueue(fixing) }
        var verifying = verifying
        var delay: Double = 0
        // Tried again a second later while what it fixes, or what that explains, still holds or could not be
        // told (a service just restarted may not answer yet).
        let judged = Set(r.fixes).union(explainedFindings(by: r.fixes, resolvedToo: true))
        if verifying.steps.isEmpty, verifying.attempt < Self.verifyAttempts,
            findings.contains(where: { judged.contains($0.id) && $0.state != .resolved })
        {
            verifying = Verifying(steps: verifySteps(for: id), attempt: verifying.attempt + 1)
            delay = Self.verifyRetryDelay
        }
        if verifying.steps.isEmpty {
            // A verify step that could not tell (it timed out) proves nothing: the finding is not counted fixed.
            let stillOpen = findings.filter { r.fixes.contains($0.id) && $0.state != .resolved }.map(\.id)
            let verified = stillOpen.isEmpty
            remediations[id]?.verified = verified
            records.append(.remediationVerified(id: id, verified: verified, stillOpen: stillOpen))
            return continueQueue(fixing)
        }
        let stepID = verifying.steps.removeFirst()
        guard let (step, prefix) = knownSteps[stepID] else { return nextVerify(id, verifying, fixing) }
        let p = pendingStep(step, qualified: stepID, prefix: prefix, purpose: .verify(id), delay: delay)
        phase = .verifying(id, p, verifying, fixing)
        return .run(p)
    }

    mutating func finish() -> SessionAction {
        let status = outcome
        phase = .done(status)
        records.append(.runbookEnded(id: runbook.id, status: status))
        return .finished(status)
    }
}
