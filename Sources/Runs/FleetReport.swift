import Foundation
import RunbookKit

/// What a run over a fleet found: each host's status and findings, and
/// those of the steps run once from here.
public struct FleetReport {
    public let runbook: String
    public let outcomes: [HostOutcome]
    /// Findings of steps run once, here: not any host's.
    public let local: [Finding]
    public let localStatus: OutcomeStatus

    public init(runbook: String, outcomes: [HostOutcome]) {
        self.runbook = runbook
        self.outcomes = outcomes
        // Every walk took the same results for those steps; the first walk's findings of them stand for all.
        if let s = outcomes.lazy.compactMap(\.session).first {
            let here = s.findings.filter { !s.ranOnHost(step: $0.step) }
            local = here.filter { $0.state != .resolved }
            localStatus = s.outcome(ignoring: Set(s.findings.map(\.id)).subtracting(here.map(\.id)))
        } else {
            local = []
            localStatus = .ok
        }
    }

    /// The worst of every host's and of the steps run here.
    public var status: OutcomeStatus { outcomes.map(\.status.outcome).reduce(localStatus) { max($0, $1) } }

    /// Open findings on hosts, grouped by id (in the order first met) with the hosts of each.
    public var grouped: [(finding: Finding, hosts: [String])] {
        var order: [String] = []
        var groups: [String: (Finding, [String])] = [:]
        for o in outcomes {
            for f in o.findings where f.state != .resolved {
                if groups[f.id] == nil {
                    order.append(f.id)
                    groups[f.id] = (f, [])
                }
                groups[f.id]?.1.append(o.host)
            }
        }
        return order.compactMap { groups[$0] }.sorted { a, b in
            (a.0.state == .unknown ? 0 : a.0.severity.rank) > (b.0.state == .unknown ? 0 : b.0.severity.rank)
        }.map { (finding: $0.0, hosts: $0.1) }
    }

    public func json(status: OutcomeStatus, transcript: String, redactor: Redactor) -> String {
        var steps: [RunReport.StepLine] = []
        var findings: [RunReport.FindingLine] = []
        var remediations: [String: RunReport.RemediationLine] = [:]
        var remediationOrder: [String] = []
        // Steps run here are listed once, from the first walk that ran them.
        var localSteps: Set<String> = []
        for o in outcomes {
            var mine: Set<String> = []
            for d in o.durations {
                let onHost = o.session?.ranOnHost(step: d.step) ?? true
                if !onHost {
                    if localSteps.contains(d.step) { continue }
                    mine.insert(d.step)
                }
                steps.append(
                    RunReport.StepLine(id: d.step, status: d.status, durationMilliseconds: Int(d.ms.rounded()), host: onHost ? o.host : nil)
                )
            }
            localSteps.formUnion(mine)
            for f in o.findings where f.state != .resolved {
                findings.append(RunReport.FindingLine(f, runbook: runbook, redactor: redactor))
            }
            guard let s = o.session else { continue }
            for r in s.allRemediations {
                guard let rep = s.remediations[r.id] else { continue }
                var line =
                    remediations[r.id]
                    ?? RunReport.RemediationLine(id: rep.id, risk: rep.risk, offered: false, applied: false, verified: true, hosts: [])
                if remediations[r.id] == nil { remediationOrder.append(r.id) }
                line.offered = line.offered || rep.offered
                if rep.applied {
                    line.applied = true
                    line.hosts?.append(o.host)
                    line.verified = line.verified && rep.verified
                }
                remediations[r.id] = line
            }
        }
        for f in local { findings.insert(RunReport.FindingLine(f, runbook: runbook, redactor: redactor), at: 0) }
        var report = RunReport(
            runbook: runbook, status: status, steps: steps, findings: findings,
            remediations: remediationOrder.compactMap { id in
                remediations[id].map { r in
                    var r = r
                    if !r.applied { r.verified = false }
                    return r
                }
            }, transcript: transcript)
        report.hosts = outcomes.map { RunReport.HostLine(host: $0.host, status: $0.status.rawValue) }
        return report.json
    }
}

extension Severity {
    /// info < warning < critical.
    public var rank: Int {
        switch self {
        case .info: return 1
        case .warning: return 2
        case .critical: return 3
        }
    }
}
