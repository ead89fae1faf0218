import Foundation

/// Reading a session's state: where the walk is, what it found, how it stands.
extension RunbookSession {
    /// Records produced since the last call, in order. Drivers write them.
    public mutating func drainRecords() -> [TranscriptEvent] {
        defer { records.removeAll() }
        return records
    }

    public var isFinished: Bool { if case .done = phase { true } else { false } }

    /// What the walk waits for: the step to run, the question to answer,
    /// the remediation to decide, or how it ended; nil before it starts.
    public var pending: SessionAction? {
        switch phase {
        case .idle: return nil
        case .diagnosing(_, let p), .guarding(_, let p, _, _, _), .remediating(_, let p, _), .verifying(_, let p, _, _): return .run(p)
        case .asking(_, let q): return .ask(q)
        case .confirming(let c, _): return .confirm(c)
        case .approving(let need, _): return .approve(need)
        case .done(let status): return .finished(status)
        }
    }

    /// The remediations the walk is going through, if it is.
    var fixing: Fixing? {
        switch phase {
        case .confirming(_, let f), .approving(_, let f), .guarding(_, _, _, _, let f), .remediating(_, _, let f),
            .verifying(_, _, _, let f):
            return f
        case .idle, .diagnosing, .asking, .done: return nil
        }
    }

    /// An event that does not fit where the walk is (a driver's slip):
    /// nothing changes, and the walk still waits for what it waited for
    /// (one that comes before the walk began begins it).
    mutating func unchanged() -> SessionAction { pending ?? start() }

    /// The runbook being walked now: the top one, or one it included.
    public var currentRunbook: Runbook { frames.last?.book ?? runbook }

    /// `""` in the top runbook; `STEP/` inside one it included.
    public var currentPrefix: String { frames.last?.prefix ?? "" }

    /// The index, in `currentRunbook`, of the diagnostic step pending or running.
    public var currentStepIndex: Int? {
        switch phase {
        case .diagnosing(let i, _), .asking(let i, _): return i
        default: return nil
        }
    }

    public var openFindings: [Finding] { findings.filter { $0.state == .open } }

    /// A step by (qualified) id, from any runbook the walk entered.
    public func knownStep(_ id: String) -> Step? { knownSteps[id]?.step }

    /// A remediation by (qualified) id, from any runbook the walk entered.
    public func remediation(_ id: String) -> Remediation? { knownRemediations[id]?.remediation }

    /// Every remediation the walk has met, in order.
    public var allRemediations: [Remediation] { remediationOrder.compactMap { knownRemediations[$0]?.remediation } }

    /// The overall status: the worst open finding; unknown when a step could
    /// not do its job and no finding explains it.
    public var outcome: OutcomeStatus { outcome(ignoring: []) }

    /// The status with some findings left out (regression cases ignore the host's).
    ///
    /// A finding that could not be evaluated makes it `unknown` only when
    /// nothing is a warning or critical: what was found outranks what could not be known.
    public func outcome(ignoring ignored: Set<String>) -> OutcomeStatus {
        var status = OutcomeStatus.ok
        var anyUnknown = false
        for f in findings where !ignored.contains(f.id) {
            switch f.state {
            case .open:
                let s: OutcomeStatus = f.severity == .critical ? .critical : (f.severity == .warning ? .warning : .ok)
                status = max(status, s)
            case .unknown: anyUnknown = true
            case .resolved: break
            }
        }
        if anyUnknown, status == .ok { status = .unknown }
        // A step stopped at a sweep's cap that no verdict needed again is not a failure of rbsh's.
        for (id, result) in results where result.status == .error || (result.status == .timeout && result.values["capped"] == nil) {
            if !findings.contains(where: { $0.step == id && $0.state == .open }) {
                status = max(status, .unknown)
            }
        }
        return status
    }

    /// In a walk over a fleet, whether step `id` ran on this walk's host
    /// rather than once, from here: the one rule for whose its results and
    /// findings are. A step the walk does not know (the ssh connection) is the host's.
    public func ranOnHost(step id: String) -> Bool { knownStep(id)?.runsOnHosts ?? true }
}
