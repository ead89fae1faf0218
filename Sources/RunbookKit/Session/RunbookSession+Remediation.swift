import Foundation

/// Remediations: offered for the open findings, decided by the policy or a person, run, then verified.
extension RunbookSession {
    // MARK: - Remediation

    mutating func beginRemediations() -> SessionAction {
        if diagnoseOnly { return finish() }
        queue = matchingRemediations()
        return continueQueue()
    }

    mutating func continueQueue() -> SessionAction {
        let open = Set(openFindings.map(\.id))
        while let id = queue.first {
            queue.removeFirst()
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
                return runRemediation(id, r)
            case .ask:
                let c = Confirmation(
                    remediation: id, title: r.title, risk: r.risk, detail: rendered.action.summary,
                    kind: r.action.action.kind, word: r.risk == .destructive ? r.confirmWord : nil,
                    findings: openFindings.filter { r.fixes.contains($0.id) }
                )
                phase = .confirming(id)
                pending = .confirm(c)
                return .confirm(c)
            }
        }
        if let resume = resumeAt {
            resumeAt = nil
            return enter(resume)
        }
        return finish()
    }

    mutating func runRemediation(_ id: String, _ r: Remediation) -> SessionAction {
        phase = .remediating(id)
        let prefix = knownRemediations[id]?.prefix ?? ""
        var action = r.action
        action.id = String(r.action.id.dropFirst(prefix.count))
        return setRun(action, qualified: id, prefix: prefix, purpose: .remediate(id))
    }

    func verifySteps(for id: String) -> [String] {
        guard let r = knownRemediations[id]?.remediation else { return [] }
        if let v = r.verify { return [v] }
        var steps: [String] = []
        for f in findings where r.fixes.contains(f.id) && !steps.contains(f.step) { steps.append(f.step) }
        return steps
    }

    mutating func nextVerify(_ id: String) -> SessionAction {
        guard let r = knownRemediations[id]?.remediation else { return continueQueue() }
        var delay: Double = 0
        if verifyQueue.isEmpty, verifyAttempt < Self.verifyAttempts, openFindings.contains(where: { r.fixes.contains($0.id) }) {
            verifyAttempt += 1
            verifyQueue = verifySteps(for: id)
            delay = Self.verifyRetryDelay
        }
        if verifyQueue.isEmpty {
            let stillOpen = openFindings.filter { r.fixes.contains($0.id) }.map(\.id)
            let verified = stillOpen.isEmpty
            remediations[id]?.verified = verified
            records.append(.remediationVerified(id: id, verified: verified, stillOpen: stillOpen))
            return continueQueue()
        }
        let stepID = verifyQueue.removeFirst()
        guard let (step, prefix) = knownSteps[stepID] else { return nextVerify(id) }
        phase = .verifying(id, step: stepID)
        return setRun(step, qualified: stepID, prefix: prefix, purpose: .verify(id), delay: delay)
    }

    mutating func finish() -> SessionAction {
        phase = .done
        let status = outcome
        records.append(.runbookEnded(id: runbook.id, status: status))
        pending = .finished(status)
        return .finished(status)
    }
}
