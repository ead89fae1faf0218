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
            let result = execution.run(pending, host: host)
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
        let execution = self.execution, host = self.host
        let interrupted = host.interruption()
        for (i, step) in group.enumerated() {
            done.enter()
            Thread {
                results.set(i, execution.run(step, interrupted: interrupted))
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
        let steppers = branches.map { Stepper(session: $0, execution: execution, host: branchHost, concurrent: concurrent) }
        let done = DispatchGroup()
        for stepper in steppers {
            done.enter()
            Thread {
                _ = stepper.run()
                done.leave()
            }.start()
        }
        done.wait()
        for stepper in steppers { durations += stepper.durations }
        let ms = (ContinuousClock.now - started).milliseconds
        durations.append((pending.step.id, branches.isEmpty ? .error : .ok, ms))
        return session.sweepFinished(steppers.map(\.session), missing: missing, milliseconds: ms)
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
