import Foundation

/// What a transcript adds up to: the outcome, findings, remediations and notes.
public struct TranscriptSummary: Sendable {
    public enum Decision: String, Sendable { case offered, confirmed, declined }

    public struct RemediationLine: Sendable {
        public var id: String
        public var risk: Risk
        public var detail: String
        public var decision: Decision = .offered
        public var decidedBy: Decider?
        public var reason: String?
        public var applied: StepStatus?
        public var verified: Bool?
        public var stillOpen: [String] = []
    }

    public struct Note: Sendable {
        public var time: String
        public var text: String
    }

    public var runbooks: [String] = []
    public var started: String?
    public var ended: String?
    public var outcome: OutcomeStatus?
    /// Every finding ever reported, in the order first seen, with its last state.
    public var findings: [Finding] = []
    public var remediations: [RemediationLine] = []
    public var notes: [Note] = []
    public var interrupts = 0
    /// What the last sweep concluded.
    public var diagnosis: Diagnosis?
    public var stepCount = 0

    public init(_ transcript: Transcript) {
        started = transcript.header.started
        var byStep: [String: Set<String>] = [:]
        var index: [String: Int] = [:]
        func update(_ id: String, _ change: (inout RemediationLine) -> Void) {
            if let i = remediations.lastIndex(where: { $0.id == id }) { change(&remediations[i]) }
        }
        for entry in transcript.entries {
            switch entry.event {
            case .runbookStarted(let id, _):
                if !runbooks.contains(id) { runbooks.append(id) }
            case .runbookEnded(_, let status):
                outcome = status
            case .sessionEnded(let status, _):
                ended = entry.time
                if outcome == nil { outcome = status }
            case .stepEnded(let step, _, _, let now):
                stepCount += 1
                let ids = Set(now.map(\.id))
                // A finding of this step that no longer holds is resolved.
                for old in byStep[step] ?? [] where !ids.contains(old) {
                    if let i = index[old], findings[i].state == .open { findings[i].state = .resolved }
                }
                byStep[step] = ids
                for f in now {
                    if let i = index[f.id] { findings[i] = f } else { index[f.id] = findings.count; findings.append(f) }
                }
            case .remediationOffered(let id, let risk, _, let detail):
                remediations.append(RemediationLine(id: id, risk: risk, detail: detail))
            case .remediationDecision(let id, let confirmed, let by, let reason):
                update(id) {
                    $0.decision = confirmed ? .confirmed : .declined
                    $0.decidedBy = by
                    $0.reason = reason
                }
            case .remediationApplied(let id, let status):
                update(id) { $0.applied = status }
            case .remediationVerified(let id, let verified, let stillOpen):
                update(id) {
                    $0.verified = verified
                    $0.stillOpen = stillOpen
                }
            case .note(let text):
                notes.append(Note(time: entry.time ?? "", text: text))
            case .interrupted:
                interrupts += 1
            case .diagnosis(_, let d):
                diagnosis = d
            case .sessionStarted, .input, .stepStarted, .question, .answer, .variableSet, .targetChanged, .unrecognized:
                break
            }
        }
    }

    /// The findings still open.
    public var open: [Finding] { findings.filter { $0.state == .open } }
}
