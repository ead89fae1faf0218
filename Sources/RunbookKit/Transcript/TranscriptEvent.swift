import Foundation

/// Why a step runs.
public enum StepPurpose: Sendable, Hashable {
    case diagnose
    case remediate(String)
    case verify(String)
    /// Run again right before the fix acts: does its finding still hold, on the same thing?
    case guardCheck(String)
    /// A sweep's step that hit the sweep's cap, run again with its own timeout before the verdict.
    case recheck
    /// Typed by the operator (`sh`, `sql`...), outside the runbook.
    case adHoc

    /// As a transcript writes it: `diagnose`, `remediate:ID`, `verify:ID`,
    /// `guard:ID`, `recheck`, `ad-hoc`.
    public var label: String {
        switch self {
        case .diagnose: return "diagnose"
        case .remediate(let id): return "remediate:\(id)"
        case .verify(let id): return "verify:\(id)"
        case .guardCheck(let id): return "guard:\(id)"
        case .recheck: return "recheck"
        case .adHoc: return "ad-hoc"
        }
    }

    /// Reads a label back; nil for one this version does not know.
    public init?(label: String) {
        switch label {
        case "diagnose": self = .diagnose
        case "ad-hoc": self = .adHoc
        case "recheck": self = .recheck
        default:
            if label.hasPrefix("remediate:") {
                self = .remediate(String(label.dropFirst("remediate:".count)))
            } else if label.hasPrefix("verify:") {
                self = .verify(String(label.dropFirst("verify:".count)))
            } else if label.hasPrefix("guard:") {
                self = .guardCheck(String(label.dropFirst("guard:".count)))
            } else {
                return nil
            }
        }
    }
}

/// Who answered a question or decided a remediation.
public enum Decider: String, Sendable, Hashable, Codable {
    case operatorInput = "operator"
    case answersFile = "answers"
    case flag = "flag"
    case policy = "policy"
    case replay = "replay"
    case defaultValue = "default"
    /// A rule of `rbsh serve`'s config, for the alert that started the run.
    case alert = "alert"
}

/// How a session was driven, as its `session_start` event says.
public struct SessionStart: Sendable, Hashable, Codable {
    /// `interactive`, `script`, `unattended`, `replay` or `test`.
    public var mode: String
    /// The highest risk that may run without a person (`none` when nothing may).
    public var allow: String?
    public var dryRun: Bool?
    /// The script a shell reads (`stdin` for a pipe).
    public var script: String?
    /// The transcript a replay re-runs.
    public var replaying: String?

    public init(mode: String, allow: String? = nil, dryRun: Bool? = nil, script: String? = nil, replaying: String? = nil) {
        self.mode = mode
        self.allow = allow
        self.dryRun = dryRun
        self.script = script
        self.replaying = replaying
    }

    enum CodingKeys: String, CodingKey {
        case mode, allow, script, replaying
        case dryRun = "dry_run"
    }
}

/// Something a session did that belongs in the transcript.
///
/// The one type for a transcript's events: the engine produces the runbook
/// ones, the shell and the commands add theirs (notes, targets, interrupts,
/// the session's start and end), the writer encodes each, and the reader
/// decodes each back. The file format is `rbsh-transcript` version 1: one
/// JSON object a line, its `type` naming the case.
public enum TranscriptEvent: Sendable, Hashable {
    case sessionStarted(SessionStart)
    /// `status` is the session's outcome; `reason` says why it ended otherwise than by finishing.
    case sessionEnded(status: OutcomeStatus, reason: String?)
    /// `source` is the file it was read from (none for a built-in one).
    case runbookStarted(id: String, title: String, source: RunbookSource? = nil)
    /// An input's value as the walk starts, and where it came from.
    case input(name: String, value: String, by: Decider)
    case stepStarted(step: String, title: String, kind: String, purpose: StepPurpose, detail: String)
    /// A step's result; a transcript keeps its output up to a cap and no table.
    case stepEnded(step: String, purpose: StepPurpose, result: StepResult, findings: [Finding])
    case question(step: String, text: String, choices: [String])
    case answer(step: String, value: String, by: Decider)
    case remediationOffered(id: String, risk: Risk, fixes: [String], detail: String)
    case remediationDecision(id: String, confirmed: Bool, by: Decider, reason: String?)
    case remediationApplied(id: String, status: StepStatus)
    /// Its guard, run right before it would act, found its finding gone or
    /// unknown, or the thing it acts on changed: it did not run.
    case remediationRefused(id: String, reason: String)
    case remediationVerified(id: String, verified: Bool, stillOpen: [String])
    case runbookEnded(id: String, status: OutcomeStatus)
    /// A fix's approval requested, granted or refused (`approval_requested`...).
    case approval(ApprovalEvent)
    /// What a sweep step concluded from every runbook it ran.
    case diagnosis(step: String, Diagnosis)
    case note(String)
    /// `set NAME=VALUE` in the shell.
    case variableSet(name: String, value: String)
    /// `target NAME URL` in the shell.
    case targetChanged(name: String, url: String)
    /// A signal stopped the step (Ctrl-C, a hang-up...), or the whole walk
    /// (`step` nil); `signal` names it (`SIGINT`, `SIGHUP`, `SIGTERM`) where known.
    case interrupted(step: String?, signal: String?)
    /// An event of one host's walk, in a run over a fleet: written as the
    /// event itself with a `host` key.
    indirect case onHost(String, TranscriptEvent)
    /// A type a later version writes; kept so the timeline can name it.
    case unrecognized(type: String)

    /// The `type` it is written with.
    public var type: String {
        switch self {
        case .sessionStarted: return "session_start"
        case .sessionEnded: return "session_end"
        case .runbookStarted: return "runbook_start"
        case .input: return "input"
        case .stepStarted: return "step_start"
        case .stepEnded: return "step_end"
        case .question: return "question"
        case .answer: return "answer"
        case .remediationOffered: return "remediation_offered"
        case .remediationDecision(_, let confirmed, _, _): return confirmed ? "remediation_confirmed" : "remediation_declined"
        case .remediationApplied: return "remediation_applied"
        case .remediationRefused: return "remediation_refused"
        case .remediationVerified: return "remediation_verified"
        case .runbookEnded: return "runbook_end"
        case .approval(let a): return "approval_\(a.kind.rawValue)"
        case .diagnosis: return "diagnosis"
        case .note: return "note"
        case .variableSet: return "set"
        case .targetChanged: return "target"
        case .interrupted: return "interrupt"
        case .onHost(_, let event): return event.type
        case .unrecognized(let type): return type
        }
    }

    /// The host of a fleet whose walk it belongs to; nil for the operator's machine.
    public var host: String? {
        if case .onHost(let host, _) = self { return host }
        return nil
    }

    /// The event itself, without its host.
    public var local: TranscriptEvent {
        if case .onHost(_, let event) = self { return event.local }
        return self
    }

    /// The step it is about, where it is about one.
    public var step: String? {
        switch self {
        case .stepStarted(let step, _, _, _, _), .stepEnded(let step, _, _, _), .question(let step, _, _), .answer(let step, _, _):
            return step
        case .interrupted(let step, _): return step
        case .diagnosis(let step, _): return step
        case .onHost(_, let event): return event.step
        default: return nil
        }
    }
}

// MARK: - Redaction

extension TranscriptEvent {
    /// The same event with every text passed through `redact`: what the
    /// writer puts on disk.
    public func redacted(_ redact: (String) -> String) -> TranscriptEvent {
        switch self {
        case .sessionStarted(var s):
            s.script = s.script.map(redact)
            s.replaying = s.replaying.map(redact)
            return .sessionStarted(s)
        case .sessionEnded(let status, let reason): return .sessionEnded(status: status, reason: reason.map(redact))
        case .runbookStarted(let id, let title, let source):
            let kept = source.map { RunbookSource(given: redact($0.given), path: redact($0.path), sha256: $0.sha256) }
            return .runbookStarted(id: id, title: redact(title), source: kept)
        case .input(let name, let value, let by): return .input(name: name, value: redact(value), by: by)
        case .stepStarted(let step, let title, let kind, let purpose, let detail):
            return .stepStarted(step: step, title: redact(title), kind: kind, purpose: purpose, detail: redact(detail))
        case .stepEnded(let step, let purpose, var result, let findings):
            result.output.text = redact(result.output.text)
            result.error = result.error.map(redact)
            result.values = result.values.mapValues { if case .string(let s) = $0 { return .string(redact(s)) } else { return $0 } }
            result.table = nil
            let clean = findings.map { f -> Finding in
                var f = f
                f.message = redact(f.message)
                return f
            }
            return .stepEnded(step: step, purpose: purpose, result: result, findings: clean)
        case .question(let step, let text, let choices): return .question(step: step, text: redact(text), choices: choices.map(redact))
        case .answer(let step, let value, let by): return .answer(step: step, value: redact(value), by: by)
        case .remediationOffered(let id, let risk, let fixes, let detail):
            return .remediationOffered(id: id, risk: risk, fixes: fixes, detail: redact(detail))
        case .remediationDecision(let id, let confirmed, let by, let reason):
            return .remediationDecision(id: id, confirmed: confirmed, by: by, reason: reason.map(redact))
        case .remediationRefused(let id, let reason): return .remediationRefused(id: id, reason: redact(reason))
        case .approval(var a):
            a.reason = a.reason.map(redact)
            return .approval(a)
        case .note(let text): return .note(redact(text))
        case .variableSet(let name, let value): return .variableSet(name: name, value: redact(value))
        case .targetChanged(let name, let url): return .targetChanged(name: name, url: redact(url))
        case .onHost(let host, let event): return .onHost(host, event.redacted(redact))
        case .remediationApplied, .remediationVerified, .runbookEnded, .interrupted, .diagnosis, .unrecognized:
            return self
        }
    }
}
