import Foundation

/// A step the driver should run now, with every value already filled in.
public struct PendingStep: Sendable, Hashable {
    public var step: Step
    public var purpose: StepPurpose
    /// Values that had no value when the step's text was filled in.
    public var missing: [String]
    /// Wait this long before running it: a verify step tried again gives
    /// the fix a moment to take effect (a terminated backend to exit).
    public var delaySeconds: Double

    public init(step: Step, purpose: StepPurpose, missing: [String] = [], delaySeconds: Double = 0) {
        self.step = step
        self.purpose = purpose
        self.missing = missing
        self.delaySeconds = delaySeconds
    }
}

/// A question the driver must get answered: by the operator, an answers file or a flag.
public struct Question: Sendable, Hashable {
    public var step: String
    public var variable: String
    public var text: String
    public var choices: [String]
}

/// A remediation waiting for a person's confirmation.
public struct Confirmation: Sendable, Hashable {
    public var remediation: String
    public var title: String
    public var risk: Risk
    /// The exact command, SQL or request that will run.
    public var detail: String
    public var kind: String
    /// For destructive ones: the word the operator must type.
    public var word: String?
    public var findings: [Finding]
}

/// What the driver must do next.
public enum SessionAction: Sendable, Hashable {
    case run(PendingStep)
    case ask(Question)
    case confirm(Confirmation)
    case finished(OutcomeStatus)
}

/// How a remediation went, for summaries and `--format json`.
public struct RemediationReport: Sendable, Hashable, Codable {
    public var id: String
    public var risk: Risk
    public var offered: Bool = false
    public var applied: Bool = false
    public var verified: Bool = false
    public var declined: String?
}

/// The session engine: a value that takes events and returns actions.
///
/// It performs no I/O. It walks the runbook's steps (in order, or where
/// `next` branches), evaluates findings, matches remediations to them,
/// applies the risk policy, and verifies fixes. The interactive shell,
/// `rbsh run` and replay are drivers of this same engine, and all of them
/// write the `records` it produces.
///
/// A `runbook` step includes another runbook (its steps run, then the walk
/// carries on) or hands over to it (the walk ends with it). Steps, findings
/// and remediations of an included runbook are named `STEP/ID`, where STEP
/// is the including step, so they never clash with the includer's.
public struct RunbookSession: Sendable {
    public let runbook: Runbook
    public let policy: RemediationPolicy
    public let targets: [String: Value]
    public private(set) var vars: [String: Value]
    /// Answers known in advance (flags, answers file), by variable or step id.
    public private(set) var presetAnswers: [String: (value: String, by: Decider)]
    /// Results by step id (`STEP/ID` inside an included runbook).
    public private(set) var results: [String: StepResult] = [:]
    public private(set) var findings: [Finding] = []
    public private(set) var remediations: [String: RemediationReport] = [:]
    /// Diagnostic steps in the order they ran, for `back` and summaries.
    public private(set) var trail: [String] = []
    public private(set) var pending: SessionAction?
    private let resolve: @Sendable (String) -> Runbook?
    private var frames: [Frame]
    private var phase: Phase = .idle
    private var records: [TranscriptEvent] = []
    private var queue: [String] = []
    private var verifyQueue: [String] = []
    private var verifyAttempt = 0
    /// Every step and remediation met so far, by qualified id, with the
    /// prefix its names resolve under.
    private var knownSteps: [String: (step: Step, prefix: String)] = [:]
    private var knownRemediations: [String: (remediation: Remediation, prefix: String)] = [:]
    private var remediationOrder: [String] = []
    /// Where the walk resumes after remediations offered mid-walk.
    private var resumeAt: Int?

    /// How many times the verify steps run before a fix counts as not working.
    public static let verifyAttempts = 3
    /// The pause before verifying again.
    public static let verifyRetryDelay: Double = 1

    private struct Frame: Sendable {
        var book: Runbook
        /// `""` for the top runbook, `STEP/` inside an included one.
        var prefix: String
        /// The including step's index in the frame below, and how it included.
        var caller: (index: Int, mode: RunbookAction.Mode)?
    }

    private enum Phase: Sendable, Hashable {
        case idle
        case diagnosing(Int)
        case asking(Int)
        case confirming(String)
        case remediating(String)
        case verifying(String, step: String)
        case done
    }

    public init(
        runbook: Runbook, policy: RemediationPolicy, targets: [String: Value] = [:],
        answers: [String: (value: String, by: Decider)] = [:],
        resolve: @escaping @Sendable (String) -> Runbook? = { _ in nil }
    ) {
        self.runbook = runbook
        self.policy = policy
        self.targets = targets
        self.presetAnswers = answers
        self.resolve = resolve
        self.frames = []
        self.vars = [:]
        push(runbook, prefix: "", caller: nil)
    }

    // MARK: - Reading the state

    /// Records produced since the last call, in order. Drivers write them.
    public mutating func drainRecords() -> [TranscriptEvent] {
        defer { records.removeAll() }
        return records
    }

    public var isFinished: Bool { phase == .done }

    /// The runbook being walked now: the top one, or one it included.
    public var currentRunbook: Runbook { frames.last?.book ?? runbook }

    /// `""` in the top runbook; `STEP/` inside one it included.
    public var currentPrefix: String { frames.last?.prefix ?? "" }

    /// The index, in `currentRunbook`, of the diagnostic step pending or running.
    public var currentStepIndex: Int? {
        switch phase {
        case .diagnosing(let i), .asking(let i): return i
        default: return nil
        }
    }

    public var openFindings: [Finding] { findings.filter { $0.state == .open } }

    /// A remediation by (qualified) id, from any runbook the walk entered.
    public func remediation(_ id: String) -> Remediation? { knownRemediations[id]?.remediation }

    /// Every remediation the walk has met, in order.
    public var allRemediations: [Remediation] { remediationOrder.compactMap { knownRemediations[$0]?.remediation } }

    /// The overall status: the worst open finding; unknown when a step could
    /// not do its job and no finding explains it.
    public var outcome: OutcomeStatus { outcome(ignoring: []) }

    /// The status with some findings left out (regression cases ignore the host's).
    public func outcome(ignoring ignored: Set<String>) -> OutcomeStatus {
        var status = OutcomeStatus.ok
        for f in findings where !ignored.contains(f.id) {
            switch f.state {
            case .open:
                let s: OutcomeStatus = f.severity == .critical ? .critical : (f.severity == .warning ? .warning : .ok)
                status = max(status, s)
            case .unknown: status = max(status, .unknown)
            case .resolved: break
            }
        }
        for (id, result) in results where result.status == .error || result.status == .timeout {
            if !findings.contains(where: { $0.step == id && $0.state == .open }) {
                status = max(status, .unknown)
            }
        }
        return status
    }

    // MARK: - Events

    public mutating func start() -> SessionAction {
        recordStart()
        return enter(0)
    }

    /// Starts the walk at a step instead of the first (resuming a session).
    public mutating func start(at stepID: String) -> SessionAction? {
        guard let i = runbook.stepIndex(stepID) else { return nil }
        recordStart()
        return enter(i)
    }

    private mutating func recordStart() {
        records.append(.runbookStarted(id: runbook.id, title: runbook.title))
        for input in runbook.inputs {
            if let a = presetAnswers[input.id] {
                records.append(.input(name: input.id, value: a.value, by: a.by))
            } else if let d = input.defaultValue {
                records.append(.input(name: input.id, value: d, by: .defaultValue))
            }
        }
    }

    /// The driver is about to run the pending step: recorded now, so a
    /// transcript cut short still shows what was under way.
    public mutating func begin() {
        guard case .run(let p) = pending else { return }
        records.append(.stepStarted(step: p.step.id, title: p.step.title, kind: p.step.action.kind,
                                    purpose: p.purpose, detail: p.step.action.summary))
    }

    /// When the pending step starts a group of concurrent steps, all of them,
    /// filled in, in order; otherwise just the pending one. A driver may run
    /// them at once, then give their results to `stepFinished` in order.
    public func concurrentGroup() -> [PendingStep] {
        guard case .diagnosing(let i) = phase, case .run(let first) = pending else { return [] }
        let frame = top
        guard frame.book.steps[i].concurrent else { return [first] }
        var group = [first]
        var j = i + 1
        while j < frame.book.steps.count, frame.book.steps[j].concurrent {
            let step = frame.book.steps[j]
            let qualified = frame.prefix + step.id
            let rendered = step.action.rendered(in: scope(qualified, prefix: frame.prefix))
            var s = step
            s.id = qualified
            s.action = rendered.action
            group.append(PendingStep(step: s, purpose: .diagnose, missing: rendered.missing))
            j += 1
        }
        return group
    }

    /// Records that the steps of a concurrent group are all under way.
    public mutating func begin(group: [PendingStep]) {
        for p in group {
            records.append(.stepStarted(step: p.step.id, title: p.step.title, kind: p.step.action.kind,
                                        purpose: p.purpose, detail: p.step.action.summary))
        }
    }

    public mutating func stepFinished(_ result: StepResult) -> SessionAction {
        switch phase {
        case .diagnosing(let i):
            let frame = top
            let step = frame.book.steps[i]
            let found = evaluate(step, qualified: frame.prefix + step.id, prefix: frame.prefix, result: result)
            records.append(.stepEnded(step: frame.prefix + step.id, purpose: .diagnose, result: result, findings: found))
            trail.append(frame.prefix + step.id)
            return advance(from: i)
        case .remediating(let id):
            guard let (r, prefix) = knownRemediations[id] else { return continueQueue() }
            records.append(.stepEnded(step: prefix + r.action.id, purpose: .remediate(id), result: result, findings: []))
            records.append(.remediationApplied(id: id, status: result.status))
            remediations[id]?.applied = result.status == .ok
            guard result.status == .ok else { return continueQueue() }
            verifyQueue = verifySteps(for: id)
            verifyAttempt = 1
            return nextVerify(id)
        case .verifying(let id, let stepID):
            guard let (step, prefix) = knownSteps[stepID] else { return continueQueue() }
            let found = evaluate(step, qualified: stepID, prefix: prefix, result: result)
            records.append(.stepEnded(step: stepID, purpose: .verify(id), result: result, findings: found))
            return nextVerify(id)
        default:
            return pending ?? .finished(outcome)
        }
    }

    public mutating func answered(_ value: String, by decider: Decider) -> SessionAction {
        guard case .asking(let i) = phase, case .ask(let q) = pending else { return pending ?? .finished(outcome) }
        records.append(.answer(step: q.step, value: value, by: decider))
        vars[q.variable] = Value(parsing: value)
        let frame = top
        let step = frame.book.steps[i]
        let result = StepResult(status: .ok, values: ["answer": .string(value)])
        let found = evaluate(step, qualified: frame.prefix + step.id, prefix: frame.prefix, result: result)
        records.append(.stepEnded(step: frame.prefix + step.id, purpose: .diagnose, result: result, findings: found))
        trail.append(frame.prefix + step.id)
        return advance(from: i)
    }

    public mutating func decided(_ confirmed: Bool, by decider: Decider, reason: String? = nil) -> SessionAction {
        guard case .confirming(let id) = phase, let (r, _) = knownRemediations[id] else { return pending ?? .finished(outcome) }
        records.append(.remediationDecision(id: id, confirmed: confirmed, by: decider, reason: reason))
        guard confirmed else {
            remediations[id]?.declined = reason ?? "declined"
            return continueQueue()
        }
        return runRemediation(id, r)
    }

    /// Skips what is pending: a step is recorded as skipped, a question
    /// unanswered, a remediation declined.
    public mutating func skip(reason: String = "skipped by the operator") -> SessionAction {
        switch phase {
        case .diagnosing(let i), .asking(let i):
            let frame = top
            let step = frame.book.steps[i]
            let result = StepResult.skipped(reason)
            results[frame.prefix + step.id] = result
            records.append(.stepEnded(step: frame.prefix + step.id, purpose: .diagnose, result: result, findings: []))
            return advance(from: i)
        case .confirming:
            return decided(false, by: .operatorInput, reason: "skipped")
        default:
            return pending ?? .finished(outcome)
        }
    }

    /// Goes to a diagnostic step of the runbook being walked, by id; nil if
    /// there is no such step.
    public mutating func goto(_ id: String) -> SessionAction? {
        let frame = top
        let local = id.hasPrefix(frame.prefix) ? String(id.dropFirst(frame.prefix.count)) : id
        guard let i = frame.book.stepIndex(local) else { return nil }
        queue = []
        verifyQueue = []
        return enter(i)
    }

    /// Runs the last diagnostic step again.
    public mutating func retry() -> SessionAction? {
        guard let last = trail.last, last.hasPrefix(top.prefix) else { return nil }
        trail.removeLast()
        return goto(last)
    }

    /// Goes back to the last diagnostic step run, making it pending again
    /// (the shell shows it; `retry` runs it at once).
    public mutating func back() -> SessionAction? {
        guard let previous = trail.last, previous.hasPrefix(top.prefix) else { return nil }
        trail.removeLast()
        return goto(previous)
    }

    /// Offers the remediations for the open findings now (or just `only`),
    /// then resumes the walk where it was.
    public mutating func offerRemediations(only: String? = nil) -> SessionAction {
        if resumeAt == nil, let i = currentStepIndex { resumeAt = i }
        queue = matchingRemediations(only: only)
        return continueQueue()
    }

    /// The remediations that fix an open finding, in the order they were met.
    public func matchingRemediations(only: String? = nil) -> [String] {
        let open = Set(openFindings.map(\.id))
        return remediationOrder
            .filter { only == nil || $0 == only }
            .filter { id in knownRemediations[id].map { !open.isDisjoint(with: $0.remediation.fixes) } ?? false }
    }

    // MARK: - Frames

    private var top: Frame { frames[frames.count - 1] }

    private mutating func push(_ book: Runbook, prefix: String, caller: (index: Int, mode: RunbookAction.Mode)?) {
        frames.append(Frame(book: book, prefix: prefix, caller: caller))
        for input in book.inputs where vars[input.id] == nil {
            if let a = presetAnswers[input.id] { vars[input.id] = Value(parsing: a.value) }
            else if let d = input.defaultValue { vars[input.id] = Value(parsing: d) }
        }
        for step in book.steps { knownSteps[prefix + step.id] = (step, prefix) }
        for var r in book.remediations {
            let id = prefix + r.id
            r.fixes = r.fixes.map { prefix + $0 }
            r.verify = r.verify.map { prefix + $0 }
            r.id = id
            if knownRemediations[id] == nil { remediationOrder.append(id) }
            knownRemediations[id] = (r, prefix)
        }
    }

    /// The included runbook finished: record the including step and carry on
    /// (include), or end with it (hand-over).
    private mutating func pop() -> SessionAction {
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

    private mutating func enter(_ index: Int) -> SessionAction {
        let frame = top
        guard index < frame.book.steps.count else { return frames.count > 1 ? pop() : beginRemediations() }
        let step = frame.book.steps[index]
        let qualified = frame.prefix + step.id
        switch step.action {
        case .ask:
            let rendered = step.action.rendered(in: scope(qualified, prefix: frame.prefix))
            guard case .ask(let a) = rendered.action else { return finish() }
            let variable = a.variable.isEmpty ? step.id : a.variable
            let q = Question(step: qualified, variable: variable, text: a.question, choices: a.choices)
            records.append(.question(step: qualified, text: q.text, choices: q.choices))
            phase = .asking(index)
            pending = .ask(q)
            if let preset = presetAnswers[variable] ?? presetAnswers[step.id] {
                return answered(preset.value, by: preset.by)
            }
            return .ask(q)
        case .runbook(let r):
            let problem: String?
            if frames.contains(where: { $0.book.id == r.id }) {
                problem = "runbook \(r.id) is already being walked (\(frames.map(\.book.id).joined(separator: " → ")) → \(r.id))"
            } else if resolve(r.id) == nil {
                problem = "no runbook \(r.id)"
            } else {
                problem = nil
            }
            if let problem {
                phase = .diagnosing(index)
                let result = StepResult(status: .error, error: problem)
                let found = evaluate(step, qualified: qualified, prefix: frame.prefix, result: result)
                records.append(.stepEnded(step: qualified, purpose: .diagnose, result: result, findings: found))
                return advance(from: index)
            }
            guard let book = resolve(r.id) else { return finish() }
            records.append(.runbookStarted(id: book.id, title: book.title))
            push(book, prefix: qualified + "/", caller: (index, r.mode))
            return enter(0)
        default:
            phase = .diagnosing(index)
            return setRun(step, qualified: qualified, prefix: frame.prefix, purpose: .diagnose)
        }
    }

    private mutating func setRun(_ step: Step, qualified: String, prefix: String, purpose: StepPurpose, delay: Double = 0) -> SessionAction {
        let rendered = step.action.rendered(in: scope(qualified, prefix: prefix))
        var s = step
        s.id = qualified
        s.action = rendered.action
        let action = SessionAction.run(PendingStep(step: s, purpose: purpose, missing: rendered.missing, delaySeconds: delay))
        pending = action
        return action
    }

    private mutating func advance(from index: Int) -> SessionAction {
        let frame = top
        let step = frame.book.steps[index]
        let scope = scope(frame.prefix + step.id, prefix: frame.prefix)
        for branch in step.next {
            guard let condition = branch.condition else { return jump(branch.target) }
            if condition.evaluate(in: scope).holds { return jump(branch.target) }
        }
        return enter(index + 1)
    }

    private mutating func jump(_ target: String) -> SessionAction {
        guard target != Branch.end, let i = top.book.stepIndex(target) else {
            return frames.count > 1 ? pop() : beginRemediations()
        }
        return enter(i)
    }

    // MARK: - Remediation

    private mutating func beginRemediations() -> SessionAction {
        queue = matchingRemediations()
        return continueQueue()
    }

    private mutating func continueQueue() -> SessionAction {
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

    private mutating func runRemediation(_ id: String, _ r: Remediation) -> SessionAction {
        phase = .remediating(id)
        let prefix = knownRemediations[id]?.prefix ?? ""
        var action = r.action
        action.id = String(r.action.id.dropFirst(prefix.count))
        return setRun(action, qualified: id, prefix: prefix, purpose: .remediate(id))
    }

    private func verifySteps(for id: String) -> [String] {
        guard let r = knownRemediations[id]?.remediation else { return [] }
        if let v = r.verify { return [v] }
        var steps: [String] = []
        for f in findings where r.fixes.contains(f.id) && !steps.contains(f.step) { steps.append(f.step) }
        return steps
    }

    private mutating func nextVerify(_ id: String) -> SessionAction {
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

    private mutating func finish() -> SessionAction {
        phase = .done
        let status = outcome
        records.append(.runbookEnded(id: runbook.id, status: status))
        pending = .finished(status)
        return .finished(status)
    }

    // MARK: - Findings

    /// Stores the result, replaces the step's findings with what its rules
    /// say now, and returns them. A finding that was open and no longer
    /// holds becomes resolved.
    private mutating func evaluate(_ step: Step, qualified: String, prefix: String, result: StepResult) -> [Finding] {
        results[qualified] = result
        let scope = scope(qualified, prefix: prefix)
        var found: [Finding] = []
        for rule in step.findings {
            let id = prefix + rule.id
            switch rule.condition.evaluate(in: scope) {
            case .value(let v) where v.isTruthy:
                let message = Template.render(rule.message, in: scope).text
                found.append(Finding(id: id, severity: rule.severity, message: message, step: qualified))
            case .value:
                continue
            case .unknown(let name):
                // A step that did not run (or could not) has no results: its
                // error explains that, not a finding per missing name.
                guard [.ok, .failed].contains(result.status) else { continue }
                found.append(Finding(id: id, severity: rule.severity,
                                     message: "unknown: `\(name)` has no value (\(rule.message))",
                                     step: qualified, state: .unknown))
            }
        }
        let ruleIDs = Set(step.findings.map { prefix + $0.id })
        var updated: [Finding] = []
        for old in findings {
            guard ruleIDs.contains(old.id) else { updated.append(old); continue }
            if old.state == .open, !found.contains(where: { $0.id == old.id && $0.state == .open }) {
                var resolved = old
                resolved.state = .resolved
                updated.append(resolved)
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

    private func scope(_ qualified: String?, prefix: String) -> SessionScope {
        SessionScope(own: qualified.flatMap { results[$0] }, results: results, prefix: prefix, vars: vars, targets: targets)
    }
}

/// Names as conditions see them: the step's own results, `steps.ID.NAME`,
/// `vars.NAME` (also `inputs.NAME`) and `targets.NAME`.
public struct SessionScope: ValueScope, Sendable {
    public var own: StepResult?
    public var results: [String: StepResult]
    /// Step ids in `steps.ID.NAME` are read within this runbook.
    public var prefix: String = ""
    public var vars: [String: Value]
    public var targets: [String: Value]

    public func value(of name: String) -> Value? {
        if name.hasPrefix("steps.") {
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let r = results[prefix + String(parts[1])] else { return nil }
            return r.value(of: String(parts[2]))
        }
        if name.hasPrefix("vars.") || name.hasPrefix("inputs.") {
            return vars[String(name.drop(while: { $0 != "." }).dropFirst())]
        }
        if name.hasPrefix("targets.") { return targets[String(name.dropFirst("targets.".count))] }
        return own?.value(of: name)
    }
}
