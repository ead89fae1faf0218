import Foundation
import IncidentMemory
import RunbookKit

/// `--format json`: one object, as DESIGN fixes it.
public struct RunReport: Encodable {
    /// A finding as the report gives it: `severity` is `unknown` for one that could not be evaluated.
    public struct FindingLine: Encodable {
        var id: String
        var severity: String
        var message: String
        var step: String
        var state: String
        /// The runbook whose rule it is: the one to run for it.
        var runbook: String?
        /// The host it was found on, in a run over a fleet.
        var host: String?
        /// What past sessions say of it, for a cause of a run without a sweep.
        var recall: CauseRecall?
    }

    /// A sweep's conclusion, each cause with what past sessions say of it.
    public struct DiagnosisLine: Encodable {
        public struct Cause: Encodable {
            var finding: String
            var explains: [String]
            var recall: CauseRecall?
        }
        var startWith: String?
        var causes: [Cause]
        enum CodingKeys: String, CodingKey {
            case causes
            case startWith = "start_with"
        }
        /// `start_with` is written even when null: a reader sees that nothing was found, not a missing key.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(startWith, forKey: .startWith)
            try c.encode(causes, forKey: .causes)
        }
    }

    public struct StepLine: Encodable {
        var id: String
        var status: StepStatus
        var durationMilliseconds: Int
        /// The host it ran on, in a run over a fleet (none for a step run once, here).
        var host: String?
        enum CodingKeys: String, CodingKey {
            case id, status, host
            case durationMilliseconds = "duration_ms"
        }
    }

    public struct RemediationLine: Encodable {
        var id: String
        var risk: Risk
        var offered: Bool
        var applied: Bool
        var verified: Bool
        /// The hosts it ran on, in a run over a fleet.
        var hosts: [String]?
        /// Why its guard stopped it right before it acted.
        var refused: String?
    }

    /// A host of a fleet and how its walk came out (`unreachable` when ssh could not reach it).
    public struct HostLine: Encodable {
        var host: String
        var status: String
    }

    var runbook: String
    var status: OutcomeStatus
    var steps: [StepLine]
    var findings: [FindingLine]
    var remediations: [RemediationLine]
    var transcript: String
    /// A sweep's conclusion, when the walk swept runbooks.
    var diagnosis: DiagnosisLine?
    /// A run over a fleet: every host's status.
    var hosts: [HostLine]?

    init(
        runbook: String, status: OutcomeStatus, steps: [StepLine], findings: [FindingLine], remediations: [RemediationLine],
        transcript: String
    ) {
        self.runbook = runbook
        self.status = status
        self.steps = steps
        self.findings = findings
        self.remediations = remediations
        self.transcript = transcript
    }

    /// The report of a walk; `recall` says what past sessions say of its causes.
    public init(
        stepper: Stepper, status: OutcomeStatus, transcript: String, redactor: Redactor,
        recall: ([String]) -> [String: CauseRecall] = { _ in [:] }
    ) {
        let s = stepper.session
        runbook = s.runbook.id
        self.status = status
        steps = stepper.durations.map { StepLine(id: $0.step, status: $0.status, durationMilliseconds: Int($0.ms.rounded())) }
        // What was found is kept, a fixed one marked resolved: the status is what is still open (DESIGN).
        findings = s.findings.map { FindingLine($0, runbook: s.runbook.id, redactor: redactor) }
        let causes = SessionMemory.causes(of: s)
        let said = recall(causes.map(\.name))
        if let d = s.diagnosis {
            diagnosis = DiagnosisLine(
                startWith: d.startWith,
                causes: zip(d.causes, causes).map { DiagnosisLine.Cause(finding: $0.finding, explains: $0.explains, recall: said[$1.name]) }
            )
        } else {
            for cause in causes {
                for i in findings.indices where findings[i].id == cause.finding?.id && findings[i].host == nil {
                    findings[i].recall = said[cause.name]
                }
            }
        }
        remediations = s.allRemediations.compactMap { r in
            s.remediations[r.id].map {
                RemediationLine(
                    id: $0.id, risk: $0.risk, offered: $0.offered, applied: $0.applied, verified: $0.verified,
                    refused: $0.refused.map(redactor.redact))
            }
        }
        self.transcript = transcript
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return #"{"status":"unknown"}"# }
        return String(decoding: data, as: UTF8.self)
    }
}

extension RunReport.FindingLine {
    init(_ f: Finding, runbook: String, redactor: Redactor) {
        self.init(
            id: f.id, severity: f.level, message: redactor.redact(f.message), step: f.step, state: f.state.rawValue,
            runbook: f.runbook ?? runbook, host: f.host)
    }
}
