import Foundation

/// Sees what a driven session does, to show it (text, JSON) as it happens.
public protocol SessionPresenter: AnyObject, Sendable {
    func record(_ record: SessionRecord)
    func output(_ text: String, stream: Int32)
    /// A one-line notice that is not a record: "manual step skipped", say.
    func notice(_ text: String)
}

/// Drives a session with nobody at the keyboard: `rbsh run`, `rbsh shell -f`
/// with answers, replay. Questions are answered from the preset answers or
/// inputs' defaults; remediations run only as the policy allows.
///
/// `@unchecked Sendable`: its state changes only on the thread that calls
/// `run`; concurrent steps read only the runner and presenter, which are
/// thread-safe.
public final class SessionDriver: @unchecked Sendable {
    public private(set) var session: RunbookSession
    let runner: any StepRunner
    let transcript: TranscriptWriter?
    public let presenter: (any SessionPresenter)?
    let interrupted: @Sendable () -> Bool
    public private(set) var durations: [(step: String, status: StepStatus, ms: Double)] = []
    /// A write to the transcript failed; the run goes on, and says so at the end.
    public private(set) var transcriptError: String?
    /// Answers confirmations nobody is there to answer (replay uses the
    /// recorded decisions); without it they are declined.
    public var confirm: ((Confirmation) -> (confirmed: Bool, by: Decider, reason: String?))?

    public init(session: RunbookSession, runner: any StepRunner, transcript: TranscriptWriter?,
                presenter: (any SessionPresenter)?, interrupted: @escaping @Sendable () -> Bool = { false }) {
        self.session = session
        self.runner = runner
        self.transcript = transcript
        self.presenter = presenter
        self.interrupted = interrupted
    }

    /// Walks to the end; `from` resumes at that step instead of the first.
    public func run(from: String? = nil) -> OutcomeStatus {
        var action: SessionAction
        if let from, let a = session.start(at: from) {
            action = a
        } else {
            action = session.start()
        }
        flush()
        while true {
            switch action {
            case .finished(let status):
                flush()
                return status
            case .run(let pending):
                let group = session.concurrentGroup()
                if group.count > 1 {
                    action = runConcurrently(group)
                    break
                }
                session.begin()
                flush()
                let result = execute(pending)
                durations.append((pending.step.id, result.status, result.durationMilliseconds))
                action = session.stepFinished(result)
            case .ask(let q):
                presenter?.notice("question `\(q.step)` has no answer (give one with --answer \(q.variable)=VALUE); skipped")
                action = session.skip(reason: "no answer given")
            case .confirm(let c):
                if let confirm {
                    let d = confirm(c)
                    action = session.decided(d.confirmed, by: d.by, reason: d.reason)
                } else {
                    // Unattended policies never ask; a person's policy here means nobody can answer.
                    action = session.decided(false, by: .policy, reason: "nobody to confirm \(c.remediation)")
                }
            }
            flush()
            if interrupted(), case .run = action {
                action = session.skip()
            }
        }
    }

    /// Runs a group of concurrent steps at once, then hands their results to
    /// the session in the runbook's order.
    private func runConcurrently(_ group: [PendingStep]) -> SessionAction {
        session.begin(group: group)
        flush()
        let results = ResultSlots(count: group.count)
        // A thread each: probes block on sockets and processes, and a shared
        // pool may run them one after another when it is busy.
        let done = DispatchGroup()
        for (i, pending) in group.enumerated() {
            done.enter()
            Thread { [self] in
                results.set(i, execute(pending))
                done.leave()
            }.start()
        }
        done.wait()
        var action: SessionAction = .finished(session.outcome)
        for (i, pending) in group.enumerated() {
            let result = results.get(i)
            durations.append((pending.step.id, result.status, result.durationMilliseconds))
            action = session.stepFinished(result)
            flush()
        }
        return action
    }

    func execute(_ pending: PendingStep) -> StepResult {
        let presenter = self.presenter
        switch pending.step.action {
        case .manual(let m):
            return StepResult(status: .skipped, error: "a manual step needs a person: \(m.instruction)")
        case .runbook(let r):
            return StepResult(status: .error, error: "runbook \(r.id) cannot run as a fix (lint rejects this)")
        default:
            let control = StepControl(interrupted: interrupted) { text, stream in presenter?.output(text, stream: stream) }
            control.pause(pending.delaySeconds)
            return runner.run(pending, control: control)
        }
    }

    /// Writes each record to the transcript (on disk before it is shown),
    /// then shows it: whatever the operator saw done is in the transcript.
    private func flush() {
        for record in session.drainRecords() {
            if let transcript {
                do { try transcript.write(record) } catch { transcriptError = "\(error)" }
            }
            presenter?.record(record)
        }
    }
}

/// Results written by concurrent steps, one slot each.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [StepResult?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: StepResult) { lock.lock(); slots[i] = r; lock.unlock() }
    func get(_ i: Int) -> StepResult {
        lock.lock()
        defer { lock.unlock() }
        return slots[i] ?? StepResult(status: .error, error: "the step did not report")
    }
}
