import Foundation

/// A host with nobody at the keyboard: questions are answered from the
/// preset answers or skipped, remediations run only as the policy allows
/// (or as `decide` says, for replay), manual steps are skipped.
public final class UnattendedHost: StepperHost, @unchecked Sendable {
    private let notice: (String) -> Void
    private let interrupted: @Sendable () -> Bool
    private let ending: @Sendable () -> Bool
    /// Answers confirmations nobody is there to answer (replay uses the
    /// recorded decisions); without it they are declined.
    public var decide: ((Confirmation) -> (confirmed: Bool, by: Decider, reason: String?))?
    /// Where a fix's approvals come from, and how long a run waits for them
    /// (nil: until interrupted); without a gate a fix that needs approval does not run.
    public var approvals: (any ApprovalGate)?
    public var approvalWait: Double? = 0
    /// Why each fix that waited for approval did not get it.
    public private(set) var unapproved: [String] = []

    /// `interrupted`: skip the steps left (Ctrl-C); `ending`: stop now (the session is ending).
    public init(
        notice: @escaping (String) -> Void = { _ in }, interrupted: @escaping @Sendable () -> Bool = { false },
        ending: @escaping @Sendable () -> Bool = { false }
    ) {
        self.notice = notice
        self.interrupted = interrupted
        self.ending = ending
    }

    public func answer(_ question: Question) -> Reply {
        notice("question `\(question.step)` has no answer (give one with --answer \(question.variable)=VALUE); skipped")
        return .none(reason: "no answer given")
    }

    public func confirm(_ confirmation: Confirmation) -> (confirmed: Bool, by: Decider, reason: String?) {
        // Unattended policies never ask; a person's policy here means nobody can answer.
        decide?(confirmation) ?? (false, .policy, "nobody to confirm \(confirmation.remediation)")
    }

    public func approve(_ need: ApprovalNeed, recorder: SessionRecorder) -> (granted: Bool, reason: String?) {
        guard let approvals else {
            return (false, "it needs other operators' approval, and this run cannot wait for one")
        }
        let d = approvals.obtain(
            need, wait: approvalWait, cancelled: { [interrupted, ending] in interrupted() || ending() }, record: recorder.record,
            notice: notice)
        if !d.granted { unapproved.append("\(need.remediation): \(d.reason ?? "not approved")") }
        return d
    }

    public func perform(manual step: PendingStep, instruction: String) -> StepResult {
        StepResult(status: .skipped, error: "a manual step needs a person: \(instruction)")
    }

    public func pauses(before step: PendingStep) -> Bool { false }
    public func interruption() -> @Sendable () -> Bool { interrupted }
    public var walkInterrupted: Bool { interrupted() }
    public var sessionEnding: Bool { ending() }
}
