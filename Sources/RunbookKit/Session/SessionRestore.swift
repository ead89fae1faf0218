import Foundation

/// Brings a session back to where a recorded one stopped (`rbsh resume`):
/// the engine walks the runbook again, fed the recorded results, answers
/// and decisions instead of running anything, so findings, variables and
/// remediation fates come out as they were. It stops at the first step,
/// question or confirmation the recording has no outcome for.
///
/// A step that was interrupted did not finish: it is where the walk
/// resumes. A remediation confirmed but never applied is asked again.
public struct SessionRestore: Sendable {
    /// What the recording settled, by step and purpose, in order.
    private var results: [String: [StepResult]] = [:]
    private var answers: [String: (value: String, by: Decider)] = [:]
    private var decisions: [String: (confirmed: Bool, by: Decider, reason: String?)] = [:]
    private var applied: Set<String> = []
    /// How many recorded outcomes were used.
    public private(set) var replayed = 0

    /// The events of one walk, from its `runbook_start` on.
    public init(_ events: [TranscriptEvent]) {
        for event in events {
            switch event {
            case .stepEnded(let step, let purpose, let result, _):
                results[Self.key(step, purpose), default: []].append(result)
            case .answer(let step, let value, let by):
                answers[step] = (value, by)
            case .remediationDecision(let id, let confirmed, let by, let reason):
                decisions[id] = (confirmed, by, reason)
            case .remediationApplied(let id, _):
                applied.insert(id)
            default:
                break
            }
        }
    }

    static func key(_ step: String, _ purpose: StepPurpose) -> String { purpose.label + " " + step }

    /// The events of the last walk of `runbook` in a (chained) transcript.
    public static func lastWalk(of runbook: String, in events: [TranscriptEvent]) -> [TranscriptEvent] {
        let start = events.lastIndex { if case .runbookStarted(runbook, _, _) = $0 { true } else { false } }
        return start.map { Array(events[$0...]) } ?? []
    }

    /// Walks `session` through what was recorded; returns what comes next.
    public mutating func restore(_ session: inout RunbookSession) -> SessionAction {
        var action = session.start()
        while true {
            _ = session.drainRecords()
            switch action {
            case .run(let pending):
                let key = Self.key(pending.step.id, pending.purpose)
                guard let result = results[key]?.first, result.status != .interrupted else { return action }
                results[key]?.removeFirst()
                replayed += 1
                if result.status == .skipped, pending.purpose == .diagnose {
                    action = session.skip(reason: result.error ?? "skipped")
                } else {
                    session.begin()
                    action = session.stepFinished(result)
                }
            case .ask(let question):
                guard let answer = answers[question.step] else { return action }
                replayed += 1
                action = session.answered(answer.value, by: answer.by)
            case .confirm(let confirmation):
                guard let d = decisions[confirmation.remediation], !d.confirmed || applied.contains(confirmation.remediation) else {
                    return action
                }
                replayed += 1
                action = session.decided(d.confirmed, by: d.by, reason: d.reason)
            case .approve(let need):
                // An approval is good once: only a fix that ran on one goes on as approved.
                guard applied.contains(need.remediation) else { return action }
                replayed += 1
                action = session.approved(true, reason: nil)
            case .finished:
                return action
            }
        }
    }
}
