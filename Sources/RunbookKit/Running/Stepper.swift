import Foundation

/// How a question was settled.
public enum Reply: Sendable, Hashable {
    case answer(String, by: Decider)
    /// Nobody answered: the question is skipped, for this reason.
    case none(reason: String)
}

/// What the stepping loop asks of whoever drives it: a person at the shell,
/// or nobody (`rbsh run`, replay, regression cases).
public protocol StepperHost: AnyObject {
    /// Answers a question, or says why it goes unanswered.
    func answer(_ question: Question) -> Reply
    /// Decides on a remediation the policy leaves to a person.
    func confirm(_ confirmation: Confirmation) -> (confirmed: Bool, by: Decider, reason: String?)
    /// Has a person do a manual step; its result.
    func perform(manual step: PendingStep, instruction: String) -> StepResult
    /// Whether to give control back before running this step (the shell
    /// waits for Enter before each diagnostic step).
    func pauses(before step: PendingStep) -> Bool
    /// Whether the running step should stop, asked afresh for each step.
    func interruption() -> @Sendable () -> Bool
    /// True once the whole walk should stop: the remaining steps are skipped.
    var walkInterrupted: Bool { get }
    /// True once the session is ending (a hang-up, SIGTERM): nothing more runs or is asked.
    var sessionEnding: Bool { get }
    /// Obtains the approvals a confirmed fix needs, recording the request and
    /// each approval through `recorder`: granted, or why not.
    func approve(_ need: ApprovalNeed, recorder: SessionRecorder) -> (granted: Bool, reason: String?)
}

extension StepperHost {
    /// A host with no way to obtain approvals refuses every fix that needs one.
    public func approve(_ need: ApprovalNeed, recorder: SessionRecorder) -> (granted: Bool, reason: String?) {
        (false, "it needs other operators' approval, and this run cannot wait for one")
    }
}

/// The one stepping loop: runs what the session asks for, records each
/// event (on disk, then shown), and asks the host for answers and
/// confirmations. The shell and every unattended command drive sessions
/// through it.
///
/// `@unchecked Sendable`: its state changes only on the thread that calls
/// `start`/`advance`; concurrent steps use only the runner and recorder,
/// which are thread-safe.
public final class Stepper: @unchecked Sendable {
    public private(set) var session: RunbookSession
    /// Replaced when the shell changes a target mid-walk.
    public var execution: StepExecution
    /// Held strongly: the shell, its host, lets go of its stepper when it ends.
    public let host: any StepperHost
    /// Runs a group of steps marked concurrent at once (unattended runs).
    public let concurrent: Bool
    /// Every step run, in order, with how it ended and how long it took.
    public private(set) var durations: [(step: String, status: StepStatus, ms: Double)] = []
    private var walkInterruptionRecorded = false
    /// A sweep branch's steps that went on past the cap.
    private let continuations = Continuations()

    public init(session: RunbookSession, execution: StepExecution, host: any StepperHost, concurrent: Bool) {
        self.session = session
        self.execution = execution
        self.host = host
        self.concurrent = concurrent
    }

    public var recorder: SessionRecorder { execution.recorder }

    /// Starts the walk (at `step` to resume there) and records its start.
    /// Nil when the runbook has no such step.
    public func start(at step: String? = nil) -> SessionAction? {
        let action: SessionAction
        if let step {
            guard let a = session.start(at: step) else { return nil }
            action = a
        } else {
            action = session.start()
        }
        flush()
        return action
    }

    /// Walks to the end, unattended.
    public func run(from step: String? = nil) -> OutcomeStatus {
        guard let first = start(at: step) else { return .unknown }
        let last = advance(first)
        if case .finished(let status) = last { return status }
        return session.outcome
    }

    /// Applies an event of the operator's (skip, goto, back...) and records
    /// what it produced; nil when the session refused it.
    public func apply(_ change: (inout RunbookSession) -> SessionAction?) -> SessionAction? {
        let action = change(&session)
        flush()
        return action
    }

    /// Does `action`, then keeps going through questions, confirmations and
    /// steps until the walk finishes or the host pauses before a step (which
    /// is returned, not run). The first action is always done.
    @discardableResult
    public func advance(_ first: SessionAction) -> SessionAction {
        var action = first
        var isFirst = true
        while true {
            // Nothing runs that cannot be recorded, and nothing more once the session is ending.
            if host.sessionEnding || recorder.failure != nil { return action }
            if host.walkInterrupted, case .run = action {
                if !walkInterruptionRecorded {
                    walkInterruptionRecorded = true
                    recorder.record(.interrupted(step: nil, signal: execution.signal()))
                }
                action = session.skip(reason: "interrupted")
                flush()
                continue
            }
            switch action {
            case .finished:
                return action
            case .run(let pending):
                if !isFirst, host.pauses(before: pending) { return action }
                action = run(pending)
            case .ask(let question):
                switch host.answer(question) {
                case .answer(let value, let by): action = session.answered(value, by: by)
                case .none(let reason): action = session.skip(reason: reason)
                }
            case .confirm(let confirmation):
                let d = host.confirm(confirmation)
                action = session.decided(d.confirmed, by: d.by, reason: d.reason)
            case .approve(var need):
                // The request names the transcript as it stands, on disk.
                flush()
                if let transcript = recorder.transcript {
                    need.transcript = transcript.id
                    need.transcriptSHA256 = transcript.head?.sha256 ?? ""
                }
                let d = host.approve(need, recorder: recorder)
                action = session.approved(d.granted, reason: d.reason)
            }
            isFirst = false
            flush()
        }
    }

    private func run(_ pending: PendingStep) -> SessionAction {
        if case .sweep(let sweep) = pending.step.action { return run(pending, sweep: sweep) }
        let group = concurrent ? session.concurrentGroup() : []
        guard group.count > 1 else {
            session.begin()
            flush()
            guard recorder.failure == nil else { return .run(pending) }
            let result = execute(pending)
            durations.append((pending.step.id, result.status, result.durationMilliseconds))
            return session.stepFinished(result)
        }
        session.begin(group: group)
        flush()
        guard recorder.failure == nil else { return .run(pending) }
        let results = ResultSlots(count: group.count)
        // A thread each: probes block on sockets and processes, and a shared
        // pool may run them one after another when it is busy.
        let done = DispatchGroup()
        for (i, step) in group.enumerated() {
            let own = session.pastCap(step)
            done.enter()
            Thread { [self] in
                results.set(i, execute(step, own: own))
                done.leave()
            }.start()
        }
        done.wait()
        var action: SessionAction = .finished(session.outcome)
        for (i, step) in group.enumerated() {
            let result = results.get(i)
            durations.append((step.step.id, result.status, result.durationMilliseconds))
            action = session.stepFinished(result)
            flush()
        }
        return action
    }

    /// A sweep: each runbook it names walked by a stepper of its own, all at
    /// once, recording into this session's transcript; then the diagnosis.
    /// Interrupting the sweep skips what each runbook has left.
    private func run(_ pending: PendingStep, sweep: SweepAction) -> SessionAction {
        session.begin()
        flush()
        guard recorder.failure == nil else { return .run(pending) }
        let started = ContinuousClock.now
        let (branches, missing) = session.sweepBranches(sweep, timeout: pending.step.timeout)
        let branchHost = UnattendedHost(interrupted: host.interruption())
        let shared = execution.sharing()
        let steppers = branches.map { Stepper(session: $0, execution: shared, host: branchHost, concurrent: concurrent) }
        let done = DispatchGroup()
        for stepper in steppers {
            done.enter()
            Thread {
                _ = stepper.run()
                done.leave()
            }.start()
        }
        done.wait()
        // The second phase: what hit the cap, and a verdict reads, runs again with its own timeout.
        if !host.walkInterrupted {
            let rechecked = DispatchGroup()
            for stepper in steppers {
                rechecked.enter()
                Thread {
                    stepper.recheck()
                    rechecked.leave()
                }.start()
            }
            rechecked.wait()
        }
        for stepper in steppers { durations += stepper.durations }
        let ms = (ContinuousClock.now - started).milliseconds
        durations.append((pending.step.id, branches.isEmpty ? .error : .ok, ms))
        return session.sweepFinished(steppers.map(\.session), missing: missing, milliseconds: ms)
    }

    /// Runs a step; in a sweep's branch, one a verdict reads runs with its
    /// own timeout and is waited for only up to the cap (`Continuations`).
    private func execute(_ pending: PendingStep) -> StepResult {
        if case .manual = pending.step.action { return execution.run(pending, host: host) }
        return execute(pending, own: session.pastCap(pending))
    }

    private func execute(_ pending: PendingStep, own: PendingStep?) -> StepResult {
        let execution = self.execution
        let interrupted = host.interruption()
        guard let own else { return execution.run(pending, interrupted: interrupted) }
        if let result = continuations.run(own, cap: pending.step.timeout, { execution.run(own, interrupted: interrupted) }) {
            return result
        }
        return StepResult(
            status: .timeout,
            error:
                "no answer within the sweep's \(DurationText.text(pending.step.timeout)): it goes on for its own \(DurationText.text(own.step.timeout))",
            values: ["capped": .bool(true)])
    }

    /// A swept branch's second phase: its steps that hit the sweep's cap
    /// and that a warning or critical verdict reads, run again at once with
    /// their own timeouts, then judged afresh.
    func recheck() {
        let steps = session.rechecks()
        guard !steps.isEmpty else { return }
        session.beginRechecks(steps)
        flush()
        let results = ResultSlots(count: steps.count)
        let done = DispatchGroup()
        let execution = self.execution
        let interrupted = host.interruption()
        for (i, step) in steps.enumerated() {
            done.enter()
            Thread { [continuations] in
                // A step that went on past the cap: its own run's result; else it runs again now.
                results.set(i, continuations.result(of: step.step.id) ?? execution.run(step, interrupted: interrupted))
                done.leave()
            }.start()
        }
        done.wait()
        for (i, step) in steps.enumerated() {
            let result = results.get(i)
            durations.append((step.step.id, result.status, result.durationMilliseconds))
            session.rechecked(step.step.id, result: result)
            flush()
        }
    }

    /// Records what the session produced since the last call.
    private func flush() {
        for event in session.drainRecords() { recorder.record(event) }
    }
}

/// Results written by concurrent steps, one slot each.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [StepResult?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: StepResult) {
        lock.lock()
        slots[i] = r
        lock.unlock()
    }
    func get(_ i: Int) -> StepResult {
        lock.lock()
        defer { lock.unlock() }
        return slots[i] ?? StepResult(status: .error, error: "the step did not report")
    }
}
