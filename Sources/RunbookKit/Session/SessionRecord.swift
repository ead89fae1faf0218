import Foundation

/// Why a step runs.
public enum StepPurpose: Sendable, Hashable, Codable {
    case diagnose
    case remediate(String)
    case verify(String)
    /// Typed by the operator (`sh`, `sql`...), outside the runbook.
    case adHoc

    public var label: String {
        switch self {
        case .diagnose: return "diagnose"
        case .remediate(let id): return "remediate:\(id)"
        case .verify(let id): return "verify:\(id)"
        case .adHoc: return "ad-hoc"
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
}

/// Something the session did that belongs in the transcript. The engine
/// produces these; every driver (shell, `run`, replay) writes the same ones.
public enum SessionRecord: Sendable, Hashable {
    case runbookStarted(id: String, title: String)
    /// An input's value as the walk starts, and where it came from.
    case input(name: String, value: String, by: Decider)
    case stepStarted(step: String, title: String, kind: String, purpose: StepPurpose, detail: String)
    case stepEnded(step: String, purpose: StepPurpose, result: StepResult, findings: [Finding])
    case question(step: String, text: String, choices: [String])
    case answer(step: String, value: String, by: Decider)
    case remediationOffered(id: String, risk: Risk, fixes: [String], detail: String)
    case remediationDecision(id: String, confirmed: Bool, by: Decider, reason: String?)
    case remediationApplied(id: String, status: StepStatus)
    case remediationVerified(id: String, verified: Bool, stillOpen: [String])
    case runbookEnded(id: String, status: OutcomeStatus)
}
