import Foundation

/// What a transcript adds up to: the outcome, findings, remediations and notes.
public struct TranscriptSummary: Sendable {
    public struct RemediationLine: Sendable {
        public var id: String
        public var risk: String
        public var detail: String
        public var decision: String = "offered"
        public var decidedBy: String?
        public var reason: String?
        public var applied: String?
        public var verified: Bool?
        public var stillOpen: [String] = []
    }

    public var runbooks: [String] = []
    public var started: String?
    public var ended: String?
    public var outcome: String?
    /// Every finding ever reported, in the order first seen, with its last state.
    public var findings: [TranscriptEvent.FindingRecord] = []
    public var remediations: [RemediationLine] = []
    public var notes: [(time: String, text: String)] = []
    public var interrupts = 0
    public var stepCount = 0

    public init(_ transcript: Transcript) {
        started = transcript.header.started
        var byStep: [String: Set<String>] = [:]
        var index: [String: Int] = [:]
        for e in transcript.events {
            switch e.type {
            case "runbook_start":
                if let r = e.runbook, !runbooks.contains(r) { runbooks.append(r) }
            case "runbook_end":
                outcome = e.status
            case "session_end":
                ended = e.time
                if outcome == nil { outcome = e.status }
            case "step_end":
                stepCount += 1
                guard let step = e.step else { continue }
                let now = e.findings ?? []
                let ids = Set(now.map(\.id))
                // A finding of this step that no longer holds is resolved.
                for old in byStep[step] ?? [] where !ids.contains(old) {
                    if let i = index[old], findings[i].state == "open" { findings[i].state = "resolved" }
                }
                byStep[step] = ids
                for f in now {
                    if let i = index[f.id] { findings[i] = f } else { index[f.id] = findings.count; findings.append(f) }
                }
            case "remediation_offered":
                remediations.append(RemediationLine(id: e.remediation ?? "?", risk: e.risk ?? "?", detail: e.detail ?? ""))
            case "remediation_confirmed", "remediation_declined":
                if let i = remediations.lastIndex(where: { $0.id == e.remediation }) {
                    remediations[i].decision = e.type == "remediation_confirmed" ? "confirmed" : "declined"
                    remediations[i].decidedBy = e.by
                    remediations[i].reason = e.reason
                }
            case "remediation_applied":
                if let i = remediations.lastIndex(where: { $0.id == e.remediation }) { remediations[i].applied = e.status }
            case "remediation_verified":
                if let i = remediations.lastIndex(where: { $0.id == e.remediation }) {
                    remediations[i].verified = e.verified
                    remediations[i].stillOpen = e.stillOpen ?? []
                }
            case "note":
                notes.append((e.time ?? "", e.text ?? ""))
            case "interrupt":
                interrupts += 1
            default:
                break
            }
        }
    }

    /// The worst open finding's severity, or nil.
    public var worstOpen: String? {
        let open = findings.filter { $0.state == "open" }.map(\.severity)
        return ["critical", "warning", "info"].first { open.contains($0) }
    }
}
