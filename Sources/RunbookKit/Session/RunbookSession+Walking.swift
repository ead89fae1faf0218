import Foundation

/// Walking: entering steps, following branches, including and handing over to other runbooks.
extension RunbookSession {
    // MARK: - Frames

    var top: Frame { frames[frames.count - 1] }

    mutating func push(_ book: Runbook, prefix: String, caller: (index: Int, mode: RunbookAction.Mode)?) {
        frames.append(Frame(book: book, prefix: prefix, caller: caller))
        books[prefix] = book.id
        for input in book.inputs where vars[input.id] == nil {
            if let a = presetAnswers[input.id] {
                vars[input.id] = Value(parsing: a.value)
            } else if let d = input.defaultValue {
                vars[input.id] = Value(parsing: d)
            }
        }
        for step in book.steps { knownSteps[prefix + step.id] = (step, prefix) }
        for var r in book.remediations {
            let id = prefix + r.id
            r.fixes = r.fixes.map { prefix + $0 }
            r.verify = r.verify?.map { prefix + $0 }
            r.id = id
            if knownRemediations[id] == nil { remediationOrder.append(id) }
            knownRemediations[id] = (r, prefix)
        }
    }

    /// The included runbook finished: record the including step and carry on
    /// (include), or end with it (hand-over).
    mutating func pop() -> SessionAction {
        let frame = frames.removeLast()
        guard let caller = frame.caller else { return beginRemediations() }
        let parent = top
        let step = parent.book.steps[caller.index]
        let mine = findings.filter { $0.step.hasPrefix(frame.prefix) && $0.state == .open }
        let worst = mine.map(\.severity).max()
        var result = StepResult(status: .ok, values: ["runbook": .string(frame.book.id), "findings": .number(Double(mine.count))])
        result.values["worst"] = .string(worst?.rawValue ?? "none")
        let found = evaluate(step, qualified: parent.prefix + step.id, prefix: parent.prefix, result: result)
        records.append(.stepEnded(step: parent.prefix + step.id, purpose: .diagnose, result: result, findings: found))
        trail.append(parent.prefix + step.id)
        if caller.mode == .handover {
            // The includer ends with the runbook it handed over to.
            return frames.count == 1 ? beginRemediations() : pop()
        }
        return advance(from: caller.index)
    }

    // MARK: - Walking

    mutating func enter(_ index: Int) -> SessionAction {
        let frame = top
        guard index < frame.book.steps.count else { return frames.count > 1 ? pop() : beginRemediations() }
        let step = frame.book.steps[index]
        let qualified = frame.prefix + step.id
        switch step.action {
        case .ask:
            let rendered = step.action.rendered(in: scope(qualified, prefix: frame.prefix))
            guard case .ask(let a) = rendered.action else { return finish() }
            let variable = a.variable.isEmpty ? step.id : a.variable
            let q = Question(step: qualified, variable: variable, text: a.question, choices: a.choices, defaultChoice: a.defaultChoice)
            records.append(.question(step: qualified, text: q.text, choices: q.choices))
            phase = .asking(index, q)
            if let preset = presetAnswers[variable] ?? presetAnswers[step.id] {
                return answered(preset.value, by: preset.by)
            }
            return .ask(q)
        case .runbook(let r):
            // Named by id or alias: the cycle check compares the runbook found.
            let found = resolve(r.id)
            let problem: String?
            if let found, frames.contains(where: { $0.book.id == found.id }) {
                problem = "runbook \(found.id) is already being walked (\(frames.map(\.book.id).joined(separator: " → ")) → \(found.id))"
            } else if found == nil {
                problem = "no runbook \(r.id)"
            } else {
                problem = nil
            }
            if let problem {
                let result = StepResult(status: .error, error: problem)
                let found = evaluate(step, qualified: qualified, prefix: frame.prefix, result: result)
                records.append(.stepEnded(step: qualified, purpose: .diagnose, result: result, findings: found))
                return advance(from: index)
            }
            guard let book = found else { return finish() }
            records.append(.runbookStarted(id: book.id, title: book.title, source: book.source))
            push(book, prefix: qualified + "/", caller: (index, r.mode))
            return enter(0)
        default:
            if let why = sweepSkips(step, prefix: frame.prefix) {
                let result = StepResult.skipped(why)
                results[qualified] = result
                records.append(.stepEnded(step: qualified, purpose: .diagnose, result: result, findings: []))
                return advance(from: index)
            }
            let p = pendingStep(step, qualified: qualified, prefix: frame.prefix, purpose: .diagnose)
            phase = .diagnosing(index, p)
            return .run(p)
        }
    }

    /// Why a sweep's branch does not run this step, if it does not: a step
    /// that reads a whole table (`scans`) waits for a person or a finding to
    /// ask for it, and one no finding and no branch reads tells a diagnosis
    /// nothing (its output is for the runbook's own walk).
    func sweepSkips(_ step: Step, prefix: String) -> String? {
        guard diagnoseOnly else { return nil }
        if !step.scans.isEmpty { return "reads the whole of \(step.scans.joined(separator: ", ")): not in a sweep" }
        if step.findings.isEmpty, step.next.isEmpty, dependents(of: step.id, prefix: prefix).isEmpty {
            return "no finding reads it: not in a sweep"
        }
        return nil
    }

    /// `step` filled in with the walk's values, named `qualified`, as it will run.
    func pendingStep(_ step: Step, qualified: String, prefix: String, purpose: StepPurpose, delay: Double = 0) -> PendingStep {
        let rendered = step.action.rendered(in: scope(qualified, prefix: prefix))
        var s = step
        s.id = qualified
        s.action = rendered.action
        if purpose == .diagnose { s = capped(s) }
        return PendingStep(step: s, purpose: purpose, missing: rendered.missing, delaySeconds: delay)
    }

    /// A diagnostic step as a sweep's branch runs it: its timeout at most
    /// the sweep's, its CPU sample at most `sweepSampleCap` (a screen: the
    /// guide's own window decides, in the second phase).
    func capped(_ step: Step) -> Step {
        guard let cap = timeoutCap else { return step }
        var s = step
        s.timeout = min(s.timeout, cap)
        if case .system(var a) = s.action, a.sampleMilliseconds > Self.sweepSampleCap {
            a.sampleMilliseconds = Self.sweepSampleCap
            s.action = .system(a)
        }
        return s
    }

    mutating func advance(from index: Int) -> SessionAction {
        let frame = top
        let step = frame.book.steps[index]
        let scope = scope(frame.prefix + step.id, prefix: frame.prefix)
        for branch in step.next {
            guard let condition = branch.condition else { return jump(branch.target) }
            if condition.evaluate(in: scope).holds { return jump(branch.target) }
        }
        return enter(index + 1)
    }

    mutating func jump(_ target: String) -> SessionAction {
        guard target != Branch.end, let i = top.book.stepIndex(target) else {
            return frames.count > 1 ? pop() : beginRemediations()
        }
        return enter(i)
    }
}
