import Foundation
import OutputCapture

/// A transcript line: an event and when it happened.
public struct TranscriptEntry: Sendable, Hashable {
    /// Wall-clock time, ISO 8601 with milliseconds.
    public var time: String?
    /// Milliseconds since the transcript was opened.
    public var monoMilliseconds: Double?
    public var event: TranscriptEvent

    public init(time: String?, monoMilliseconds: Double?, event: TranscriptEvent) {
        self.time = time
        self.monoMilliseconds = monoMilliseconds
        self.event = event
    }
}

/// Every key an event line may carry. Fields are flat: `{"type": "step_end", "step": ..., "status": ...}`.
enum TranscriptField: String, CodingKey {
    case type, time, runbook, title, name, value, by, step, kind, purpose, detail, status, error, output
    case findings, values, text, choices, remediation, risk, fixes, reason, verified, url
    case mode, allow, script, replaying, signal, causes, host, source
    case startWith = "start_with"
    case monoMilliseconds = "mono_ms", durationMilliseconds = "duration_ms", exitCode = "exit_code"
    case outputElidedBytes = "output_elided_bytes", stillOpen = "still_open", dryRun = "dry_run"
}

extension TranscriptEntry: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: TranscriptField.self)
        time = try c.decodeIfPresent(String.self, forKey: .time)
        monoMilliseconds = try c.decodeIfPresent(Double.self, forKey: .monoMilliseconds)
        event = try TranscriptEvent(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try event.encode(to: encoder)
        var c = encoder.container(keyedBy: TranscriptField.self)
        try c.encodeIfPresent(time, forKey: .time)
        try c.encodeIfPresent(monoMilliseconds.map { Int($0.rounded()) }, forKey: .monoMilliseconds)
    }
}

extension TranscriptEvent: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: TranscriptField.self)
        let type = try c.decode(String.self, forKey: .type)
        if let host = try c.decodeIfPresent(String.self, forKey: .host) {
            self = .onHost(host, try TranscriptEvent(local: type, from: decoder))
            return
        }
        self = try TranscriptEvent(local: type, from: decoder)
    }

    /// The event of type `type`, its host aside.
    init(local type: String, from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: TranscriptField.self)
        func string(_ key: TranscriptField) throws -> String { try c.decodeIfPresent(String.self, forKey: key) ?? "" }
        func decider() throws -> Decider { try c.decodeIfPresent(Decider.self, forKey: .by) ?? .operatorInput }
        func purpose() throws -> StepPurpose {
            let label = try string(.purpose)
            return StepPurpose(label: label) ?? .diagnose
        }
        switch type {
        case "session_start":
            self = .sessionStarted(try SessionStart(from: decoder))
        case "session_end":
            // Before `reason` existed, a shell stopped by --on-error wrote its reason as the status.
            let status = try string(.status)
            let outcome = OutcomeStatus(rawValue: status)
            let reason = try c.decodeIfPresent(String.self, forKey: .reason) ?? (outcome == nil ? status : nil)
            self = .sessionEnded(status: outcome ?? .unknown, reason: reason)
        case "runbook_start":
            self = .runbookStarted(
                id: try string(.runbook), title: try string(.title), source: try? c.decodeIfPresent(RunbookSource.self, forKey: .source))
        case "input":
            self = .input(name: try string(.name), value: try string(.value), by: try decider())
        case "step_start":
            self = .stepStarted(
                step: try string(.step), title: try string(.title), kind: try string(.kind),
                purpose: try purpose(), detail: try string(.detail))
        case "step_end":
            let output = CapturedOutput(
                text: try string(.output), elidedBytes: try c.decodeIfPresent(Int.self, forKey: .outputElidedBytes) ?? 0)
            let result = StepResult(
                status: try c.decodeIfPresent(StepStatus.self, forKey: .status) ?? .error,
                exitCode: try c.decodeIfPresent(Int32.self, forKey: .exitCode),
                durationMilliseconds: try c.decodeIfPresent(Double.self, forKey: .durationMilliseconds) ?? 0,
                output: output, error: try c.decodeIfPresent(String.self, forKey: .error),
                values: try c.decodeIfPresent([String: Value].self, forKey: .values) ?? [:])
            self = .stepEnded(
                step: try string(.step), purpose: try purpose(), result: result,
                findings: try c.decodeIfPresent([Finding].self, forKey: .findings) ?? [])
        case "question":
            self = .question(
                step: try string(.step), text: try string(.text), choices: try c.decodeIfPresent([String].self, forKey: .choices) ?? [])
        case "answer":
            self = .answer(step: try string(.step), value: try string(.value), by: try decider())
        case "remediation_offered":
            self = .remediationOffered(
                id: try string(.remediation), risk: try c.decode(Risk.self, forKey: .risk),
                fixes: try c.decodeIfPresent([String].self, forKey: .fixes) ?? [], detail: try string(.detail))
        case "remediation_confirmed", "remediation_declined":
            self = .remediationDecision(
                id: try string(.remediation), confirmed: type == "remediation_confirmed", by: try decider(),
                reason: try c.decodeIfPresent(String.self, forKey: .reason))
        case "remediation_applied":
            self = .remediationApplied(id: try string(.remediation), status: try c.decode(StepStatus.self, forKey: .status))
        case "remediation_refused":
            self = .remediationRefused(id: try string(.remediation), reason: try string(.reason))
        case "remediation_verified":
            self = .remediationVerified(
                id: try string(.remediation), verified: try c.decodeIfPresent(Bool.self, forKey: .verified) ?? false,
                stillOpen: try c.decodeIfPresent([String].self, forKey: .stillOpen) ?? [])
        case "approval_requested", "approval_granted", "approval_refused":
            let kind = ApprovalEvent.Kind(rawValue: String(type.dropFirst("approval_".count))) ?? .refused
            self = .approval(try ApprovalEvent(kind, from: decoder))
        case "runbook_end":
            self = .runbookEnded(id: try string(.runbook), status: try c.decode(OutcomeStatus.self, forKey: .status))
        case "diagnosis":
            self = .diagnosis(
                step: try string(.step),
                Diagnosis(
                    startWith: try c.decodeIfPresent(String.self, forKey: .startWith),
                    causes: try c.decodeIfPresent([Diagnosis.Cause].self, forKey: .causes) ?? []))
        case "note":
            self = .note(try string(.text))
        case "set":
            self = .variableSet(name: try string(.name), value: try string(.value))
        case "target":
            self = .targetChanged(name: try string(.name), url: try string(.url))
        case "interrupt":
            self = .interrupted(
                step: try c.decodeIfPresent(String.self, forKey: .step), signal: try c.decodeIfPresent(String.self, forKey: .signal))
        default:
            self = .unrecognized(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: TranscriptField.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .onHost(let host, let event):
            try c.encode(host, forKey: .host)
            try event.encode(to: encoder)
        case .sessionStarted(let s):
            try s.encode(to: encoder)
        case .sessionEnded(let status, let reason):
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .runbookStarted(let id, let title, let source):
            try c.encode(id, forKey: .runbook)
            try c.encode(title, forKey: .title)
            try c.encodeIfPresent(source, forKey: .source)
        case .input(let name, let value, let by):
            try c.encode(name, forKey: .name)
            try c.encode(value, forKey: .value)
            try c.encode(by, forKey: .by)
        case .stepStarted(let step, let title, let kind, let purpose, let detail):
            try c.encode(step, forKey: .step)
            try c.encode(title, forKey: .title)
            try c.encode(kind, forKey: .kind)
            try c.encode(purpose.label, forKey: .purpose)
            try c.encode(detail, forKey: .detail)
        case .stepEnded(let step, let purpose, let result, let findings):
            try c.encode(step, forKey: .step)
            try c.encode(purpose.label, forKey: .purpose)
            try c.encode(result.status, forKey: .status)
            try c.encode(Int(result.durationMilliseconds.rounded()), forKey: .durationMilliseconds)
            try c.encode(findings, forKey: .findings)
            try c.encodeIfPresent(result.exitCode, forKey: .exitCode)
            try c.encodeIfPresent(result.error, forKey: .error)
            if !result.output.text.isEmpty { try c.encode(result.output.text, forKey: .output) }
            if result.output.elidedBytes > 0 { try c.encode(result.output.elidedBytes, forKey: .outputElidedBytes) }
            if !result.values.isEmpty { try c.encode(result.values, forKey: .values) }
        case .question(let step, let text, let choices):
            try c.encode(step, forKey: .step)
            try c.encode(text, forKey: .text)
            try c.encode(choices, forKey: .choices)
        case .answer(let step, let value, let by):
            try c.encode(step, forKey: .step)
            try c.encode(value, forKey: .value)
            try c.encode(by, forKey: .by)
        case .remediationOffered(let id, let risk, let fixes, let detail):
            try c.encode(id, forKey: .remediation)
            try c.encode(risk, forKey: .risk)
            try c.encode(fixes, forKey: .fixes)
            try c.encode(detail, forKey: .detail)
        case .remediationDecision(let id, _, let by, let reason):
            try c.encode(id, forKey: .remediation)
            try c.encode(by, forKey: .by)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .remediationApplied(let id, let status):
            try c.encode(id, forKey: .remediation)
            try c.encode(status, forKey: .status)
        case .remediationRefused(let id, let reason):
            try c.encode(id, forKey: .remediation)
            try c.encode(reason, forKey: .reason)
        case .remediationVerified(let id, let verified, let stillOpen):
            try c.encode(id, forKey: .remediation)
            try c.encode(verified, forKey: .verified)
            try c.encode(stillOpen, forKey: .stillOpen)
        case .runbookEnded(let id, let status):
            try c.encode(id, forKey: .runbook)
            try c.encode(status, forKey: .status)
        case .approval(let a):
            try a.encode(to: encoder)
        case .diagnosis(let step, let diagnosis):
            try c.encode(step, forKey: .step)
            try c.encodeIfPresent(diagnosis.startWith, forKey: .startWith)
            try c.encode(diagnosis.causes, forKey: .causes)
        case .note(let text):
            try c.encode(text, forKey: .text)
        case .variableSet(let name, let value):
            try c.encode(name, forKey: .name)
            try c.encode(value, forKey: .value)
        case .targetChanged(let name, let url):
            try c.encode(name, forKey: .name)
            try c.encode(url, forKey: .url)
        case .interrupted(let step, let signal):
            try c.encodeIfPresent(step, forKey: .step)
            try c.encodeIfPresent(signal, forKey: .signal)
        case .unrecognized:
            break
        }
    }
}
