import Foundation

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
    public internal(set) var vars: [String: Value]
    /// Answers known in advance (flags, answers file), by variable or step id.
    public internal(set) var presetAnswers: [String: (value: String, by: Decider)]
    /// Results by step id (`STEP/ID` inside an included runbook).
    public internal(set) var results: [String: StepResult] = [:]
    public internal(set) var findings: [Finding] = []
    public internal(set) var remediations: [String: RemediationReport] = [:]
    /// Diagnostic steps in the order they ran, for `back` and summaries.
    public internal(set) var trail: [String] = []
    let resolve: @Sendable (String) -> Runbook?
    var frames: [Frame]
    /// Where the walk is, with what it waits for: see `pending`.
    var phase: Phase = .idle
    var records: [TranscriptEvent] = []
    /// Every step and remediation met so far, by qualified id, with the
    /// prefix its names resolve under.
    var knownSteps: [String: (step: Step, prefix: String)] = [:]
    var knownRemediations: [String: (remediation: Remediation, prefix: String)] = [:]
    var remediationOrder: [String] = []
    /// The runbook whose names each prefix qualifies (`""` the top one).
    var books: [String: String] = [:]
    /// A sweep's branch: it diagnoses, and offers no remediation.
    let diagnoseOnly: Bool
    /// A sweep's branch: no step of it runs longer than the sweep allows.
    let timeoutCap: Double?
    /// What the last sweep concluded.
    public internal(set) var diagnosis: Diagnosis?
    /// The runbooks swept so far: their steps are named `RUNBOOK/...`.
    public internal(set) var swept: [String] = []

    /// A sweep samples CPU over at most this long (milliseconds): a screen;
    /// a verdict on it comes from the step's own window, in the second phase.
    public static let sweepSampleCap = 250

    /// How many times the verify steps run before a fix counts as not working.
    public static let verifyAttempts = 3
    /// The pause before verifying again.
    public static let verifyRetryDelay: Double = 1

    struct Frame: Sendable {
        var book: Runbook
        /// `""` for the top runbook, `STEP/` inside an included one.
        var prefix: String
        /// The including step's index in the frame below, and how it included.
        var caller: (index: Int, mode: RunbookAction.Mode)?
    }

    /// Where the walk is, each case with what it waits for and what it
    /// carries on with: the one place a session's state lives.
    enum Phase: Sendable, Hashable {
        /// Not started.
        case idle
        /// A diagnostic step of the runbook walked now (its index), to run or running.
        case diagnosing(Int, PendingStep)
        case asking(Int, Question)
        case confirming(Confirmation, Fixing)
        /// A confirmed fix waiting for the approvals it needs.
        case approving(ApprovalNeed, Fixing)
        /// Running fix ID's guard steps, right before it acts; `offered` is
        /// what it was offered (and confirmed) to run.
        case guarding(String, PendingStep, rest: [String], offered: String, Fixing)
        case remediating(String, PendingStep, Fixing)
        case verifying(String, PendingStep, Verifying, Fixing)
        case done(OutcomeStatus)
    }

    /// The remediations still to offer, and the step the walk goes on at
    /// after them (when they were offered mid-walk).
    struct Fixing: Sendable, Hashable {
        var queue: [String]
        var resumeAt: Int?
    }

    /// A fix's verify steps still to run in this round, and which round.
    struct Verifying: Sendable, Hashable {
        var steps: [String]
        var attempt: Int
    }

    public init(
        runbook: Runbook, policy: RemediationPolicy, targets: [String: Value] = [:],
        answers: [String: (value: String, by: Decider)] = [:],
        resolve: @escaping @Sendable (String) -> Runbook? = { _ in nil },
        prefix: String = "", diagnoseOnly: Bool = false, timeoutCap: Double? = nil
    ) {
        self.timeoutCap = timeoutCap
        self.runbook = runbook
        self.policy = policy
        self.targets = targets
        self.presetAnswers = answers
        self.resolve = resolve
        self.diagnoseOnly = diagnoseOnly
        self.frames = []
        self.vars = [:]
        push(runbook, prefix: prefix, caller: nil)
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

    mutating func recordStart() {
        records.append(.runbookStarted(id: runbook.id, title: runbook.title, source: runbook.source))
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
        records.append(
            .stepStarted(
                step: p.step.id, title: p.step.title, kind: p.step.action.kind,
                purpose: p.purpose, detail: p.step.action.summary))
    }

    /// When the pending step starts a group of concurrent steps, all of them,
    /// filled in, in order; otherwise just the pending one. A driver may run
    /// them at once, then give their results to `stepFinished` in order.
    public func concurrentGroup() -> [PendingStep] {
        guard case .diagnosing(let i, let first) = phase else { return [] }
        let frame = top
        guard frame.book.steps[i].concurrent else { return [first] }
        var group = [first]
        var j = i + 1
        // A step a sweep skips ends the group: the walk reaches it, and skips it, after.
        while j < frame.book.steps.count, frame.book.steps[j].concurrent, sweepSkips(frame.book.steps[j], prefix: frame.prefix) == nil {
            let step = frame.book.steps[j]
            let qualified = frame.prefix + step.id
            let rendered = step.action.rendered(in: scope(qualified, prefix: frame.prefix))
            var s = step
            s.id = qualified
            s.action = rendered.action
            s = capped(s)
            group.append(PendingStep(step: s, purpose: .diagnose, missing: rendered.missing))
            j += 1
        }
        return group
    }

    /// Records that the steps of a concurrent group are all under way.
    public mutating func begin(group: [PendingStep]) {
        for p in group {
            records.append(
                .stepStarted(
                    step: p.step.id, title: p.step.title, kind: p.step.action.kind,
                    purpose: p.purpose, detail: p.step.action.summary))
        }
    }

    public mutating func stepFinished(_ result: StepResult) -> SessionAction {
        switch phase {
        case .diagnosing(let i, _):
            let frame = top
            let step = frame.book.steps[i]
            let found = judge(step, qualified: frame.prefix + step.id, prefix: frame.prefix, result: result)
            records.append(.stepEnded(step: frame.prefix + step.id, purpose: .diagnose, result: result, findings: found))
            trail.append(frame.prefix + step.id)
            return advance(from: i)
        case .remediating(let id, _, let fixing):
            guard let (r, prefix) = knownRemediations[id] else { return continueQueue(fixing) }
            records.append(.stepEnded(step: prefix + r.action.id, purpose: .remediate(id), result: result, findings: []))
            records.append(.remediationApplied(id: id, status: result.status))
            remediations[id]?.applied = result.status == .ok
            guard result.status == .ok else { return continueQueue(fixing) }
            return nextVerify(id, Verifying(steps: verifySteps(for: id), attempt: 1), fixing)
        case .verifying(let id, let p, let verifying, let fixing):
            guard let (step, prefix) = knownSteps[p.step.id] else { return continueQueue(fixing) }
            let found = evaluate(step, qualified: p.step.id, prefix: prefix, result: result)
            records.append(.stepEnded(step: p.step.id, purpose: .verify(id), result: result, findings: found))
            return nextVerify(id, verifying, fixing)
        case .guarding(let id, let p, let rest, let offered, let fixing):
            guard let (step, prefix) = knownSteps[p.step.id] else { return continueQueue(fixing) }
            let found = evaluate(step, qualified: p.step.id, prefix: prefix, result: result)
            records.append(.stepEnded(step: p.step.id, purpose: .guardCheck(id), result: result, findings: found))
            return nextGuard(id, steps: rest, offered: offered, fixing)
        case .idle, .asking, .confirming, .approving, .done:
            return unchanged()
        }
    }

    public mutating func answered(_ value: String, by decider: Decider) -> SessionAction {
        guard case .asking(let i, let q) = phase else { return unchanged() }
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
        guard case .confirming(let c, let fixing) = phase, let (r, _) = knownRemediations[c.remediation] else { return unchanged() }
        let id = c.remediation
        records.append(.remediationDecision(id: id, confirmed: confirmed, by: decider, reason: reason))
        guard confirmed else {
            remediations[id]?.declined = reason ?? "declined"
            return continueQueue(fixing)
        }
        return authorize(id, r, offered: c.detail, fixing)
    }

    /// Skips what is pending: a step is recorded as skipped, a question
    /// unanswered, a remediation declined.
    public mutating func skip(reason: String = "skipped by the operator") -> SessionAction {
        switch phase {
        case .diagnosing(let i, _), .asking(let i, _):
            let frame = top
            let step = frame.book.steps[i]
            let result = StepResult.skipped(reason)
            results[frame.prefix + step.id] = result
            records.append(.stepEnded(step: frame.prefix + step.id, purpose: .diagnose, result: result, findings: []))
            return advance(from: i)
        case .confirming:
            return decided(false, by: .operatorInput, reason: "skipped")
        case .approving:
            return approved(false, reason: "skipped while waiting for approval")
        case .idle, .guarding, .remediating, .verifying, .done:
            return unchanged()
        }
    }

    /// Goes to a diagnostic step of the runbook being walked, by id; nil if
    /// there is no such step.
    public mutating func goto(_ id: String) -> SessionAction? {
        let frame = top
        let local = id.hasPrefix(frame.prefix) ? String(id.dropFirst(frame.prefix.count)) : id
        guard let i = frame.book.stepIndex(local) else { return nil }
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
        return continueQueue(Fixing(queue: matchingRemediations(only: only), resumeAt: fixing?.resumeAt ?? currentStepIndex))
    }

    /// The remediations that fix an open finding no other open finding
    /// explains (a cause, not its symptom), in the order they were met.
    public func matchingRemediations(only: String? = nil) -> [String] {
        let open = Set(openFindings.map(\.id)).subtracting(symptoms())
        return
            remediationOrder
            .filter { only == nil || $0 == only }
            .filter { id in knownRemediations[id].map { !open.isDisjoint(with: $0.remediation.fixes) } ?? false }
    }
}
