import Foundation

/// A person's decisions for a walk over many hosts, asked once for all of
/// them rather than once a host: a question's answer and a manual step's
/// "done" hold for every host, and a remediation is offered once with the
/// hosts it would run on, after every host still walking has reached it
/// (or something else to decide, or its end).
///
/// `@unchecked Sendable`: its state is guarded by `condition`; only one
/// thread at a time talks to the person (`talking`).
public final class FleetDecisions: @unchecked Sendable {
    /// Decides a remediation for some hosts: by host, confirmed or not, by whom, why not.
    public typealias Decide = (Confirmation, [String]) -> [String: (confirmed: Bool, by: Decider, reason: String?)]

    let base: any StepperHost
    let decide: Decide
    /// True once the whole walk over the hosts should stop (Ctrl-C at the shell stops a step, but every host's).
    let stopped: @Sendable () -> Bool
    private let condition = NSCondition()
    private let talking = NSLock()
    private var walking: Set<String> = []
    /// Hosts waiting for a decision, in the order they arrived.
    private var waiting: [(host: String, confirmation: Confirmation)] = []
    private var decided: [String: (confirmed: Bool, by: Decider, reason: String?)] = [:]
    private var deciding = false
    private var replies: [String: Reply] = [:]
    private var manualResults: [String: StepResult] = [:]

    /// `base` answers questions and does manual steps; `decide` is asked for remediations.
    public init(base: any StepperHost, stopped: @escaping @Sendable () -> Bool = { false }, decide: @escaping Decide) {
        self.base = base
        self.stopped = stopped
        self.decide = decide
    }

    /// The host a walk on `host` is driven by.
    public func host(for host: String) -> any StepperHost { HostDecider(host: host, decisions: self) }

    func began(_ host: String) { condition.withLock { _ = walking.insert(host) } }

    func ended(_ host: String) {
        condition.withLock {
            walking.remove(host)
            condition.broadcast()
        }
    }

    func answer(_ q: Question) -> Reply {
        talking.withLock {
            let key = q.variable.isEmpty ? q.step : q.variable
            if let r = condition.withLock({ replies[key] }) { return r }
            let r = base.answer(q)
            condition.withLock { replies[key] = r }
            return r
        }
    }

    func perform(manual step: PendingStep, instruction: String) -> StepResult {
        talking.withLock {
            if let r = condition.withLock({ manualResults[step.step.id] }) { return r }
            let r = base.perform(manual: step, instruction: instruction)
            condition.withLock { manualResults[step.step.id] = r }
            return r
        }
    }

    func confirm(_ c: Confirmation, on host: String) -> (confirmed: Bool, by: Decider, reason: String?) {
        condition.lock()
        waiting.append((host, c))
        condition.broadcast()
        while true {
            if let d = decided.removeValue(forKey: host) {
                condition.unlock()
                return d
            }
            // Everyone still walking waits: the first to arrive decides for all who wait on the same remediation.
            if !deciding, Set(waiting.map(\.host)) == walking.union(waiting.map(\.host)), let first = waiting.first {
                deciding = true
                let batch = waiting.filter { $0.confirmation.remediation == first.confirmation.remediation }.map(\.host)
                condition.unlock()
                var d = talking.withLock { decide(first.confirmation, batch) }
                condition.lock()
                for h in batch where d[h] == nil { d[h] = (false, .operatorInput, "not picked") }
                for (h, v) in d where batch.contains(h) { decided[h] = v }
                waiting.removeAll { batch.contains($0.host) }
                deciding = false
                condition.broadcast()
                continue
            }
            condition.wait()
        }
    }
}

/// One host's view of the fleet's decisions.
final class HostDecider: StepperHost, @unchecked Sendable {
    let host: String
    let decisions: FleetDecisions

    init(host: String, decisions: FleetDecisions) {
        self.host = host
        self.decisions = decisions
    }

    func answer(_ question: Question) -> Reply { decisions.answer(question) }
    func confirm(_ confirmation: Confirmation) -> (confirmed: Bool, by: Decider, reason: String?) {
        decisions.confirm(confirmation, on: host)
    }
    func perform(manual step: PendingStep, instruction: String) -> StepResult { decisions.perform(manual: step, instruction: instruction) }
    /// Hosts walk on without stopping: there is no one step to press Enter for.
    func pauses(before step: PendingStep) -> Bool { false }
    func interruption() -> @Sendable () -> Bool { decisions.base.interruption() }
    var walkInterrupted: Bool { decisions.base.walkInterrupted || decisions.stopped() }
    var sessionEnding: Bool { decisions.base.sessionEnding }
    func approve(_ need: ApprovalNeed, recorder: SessionRecorder) -> (granted: Bool, reason: String?) {
        decisions.base.approve(need, recorder: recorder)
    }
}
