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
        /// Why its guard stopped it right before it acted.
        public var refused: String?
        /// Who approved it, and when each signed.
        public var approvals: [(principal: String, at: String)] = []
        public var verified: Bool?
        public var stillOpen: [String] = []
        /// The host it was offered for, in a run over a fleet.
        public var host: String?
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
    /// A run over a fleet: each host's status, in the order the hosts ended
    /// (`unreachable` for one ssh could not reach), its steps and open findings.
    public var hosts: [HostLine] = []

    public struct HostLine: Sendable {
        public var host: String
        public var status: String
        public var steps = 0
        public var findings: [String] = []
    }

    public init(_ transcript: Transcript) {
        started = transcript.header.started
        var byStep: [String: Set<String>] = [:]
        var index: [String: Int] = [:]
        func update(_ id: String, host: String?, _ change: (inout RemediationLine) -> Void) {
            if let i = remediations.lastIndex(where: { $0.id == id && $0.host == host }) { change(&remediations[i]) }
        }
        func hostLine(_ host: String) -> Int {
            if let i = hosts.firstIndex(where: { $0.host == host }) { return i }
            hosts.append(HostLine(host: host, status: "ok"))
            return hosts.count - 1
        }
        for entry in transcript.entries {
            let host = entry.event.host
            switch entry.event.local {
            case .runbookStarted(let id, _, _):
                if !runbooks.contains(id) { runbooks.append(id) }
            case .runbookEnded(_, let status) where host != nil:
                if let host { hosts[hostLine(host)].status = status.rawValue }
            case .runbookEnded(_, let status):
                outcome = status
            case .sessionEnded(let status, _):
                ended = entry.time
                if outcome == nil { outcome = status }
            case .stepEnded(let step, _, _, var now):
                stepCount += 1
                if let host {
                    let i = hostLine(host)
                    hosts[i].steps += 1
                    for f in now where f.id.contains("unreachable") { hosts[i].status = "unreachable" }
                    for j in now.indices { now[j].host = host }
                }
                // Findings are told apart by host: the same rule may hold on several.
                func key(_ id: String) -> String { host.map { "\($0)\u{0}\(id)" } ?? id }
                let stepKey = key(step)
                let ids = Set(now.map { key($0.id) })
                // A finding of this step that no longer holds is resolved.
                for old in byStep[stepKey] ?? [] where !ids.contains(old) {
                    if let i = index[old], findings[i].state == .open { findings[i].state = .resolved }
                }
                byStep[stepKey] = ids
                for f in now {
                    if let i = index[key(f.id)] { findings[i] = f } else { index[key(f.id)] = findings.count; findings.append(f) }
                }
            case .remediationOffered(let id, let risk, _, let detail):
                remediations.append(RemediationLine(id: id, risk: risk, detail: detail, host: host))
            case .remediationDecision(let id, let confirmed, let by, let reason):
                update(id, host: host) {
                    $0.decision = confirmed ? .confirmed : .declined
                    $0.decidedBy = by
                    $0.reason = reason
                }
            case .remediationApplied(let id, let status):
                update(id, host: host) { $0.applied = status }
            case .remediationRefused(let id, let reason):
                update(id, host: host) { $0.refused = reason }
            case .remediationVerified(let id, let verified, let stillOpen):
                update(id, host: host) {
                    $0.verified = verified
                    $0.stillOpen = stillOpen
                }
            case .approval(let a) where a.kind == .granted:
                update(a.remediation, host: host) { $0.approvals.append((a.principal ?? "", a.approvedAt ?? "")) }
            case .approval:
                break
            case .note(let text):
                notes.append(Note(time: entry.time ?? "", text: text))
            case .interrupted:
                interrupts += 1
            case .diagnosis(_, let d):
                diagnosis = d
            case .sessionStarted, .input, .stepStarted, .question, .answer, .variableSet, .targetChanged, .unrecognized, .onHost:
                break
            }
        }
        for i in hosts.indices {
            hosts[i].findings = findings.filter { $0.host == hosts[i].host && $0.state == .open }.map(\.id)
        }
        if !hosts.isEmpty, outcome == nil {
            outcome = hosts.compactMap { OutcomeStatus(rawValue: $0.status) ?? ($0.status == "unreachable" ? .critical : nil) }.max()
        }
    }

    /// The findings still open.
    public var open: [Finding] { findings.filter { $0.state == .open } }
}
