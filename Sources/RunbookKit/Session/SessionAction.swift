import Foundation

/// A step the driver should run now, with every value already filled in.
public struct PendingStep: Sendable, Hashable {
    public var step: Step
    public var purpose: StepPurpose
    /// Values that had no value when the step's text was filled in.
    public var missing: [String]
    /// Wait this long before running it: a verify step tried again gives
    /// the fix a moment to take effect (a terminated backend to exit).
    public var delaySeconds: Double

    public init(step: Step, purpose: StepPurpose, missing: [String] = [], delaySeconds: Double = 0) {
        self.step = step
        self.purpose = purpose
        self.missing = missing
        self.delaySeconds = delaySeconds
    }
}

/// A question the driver must get answered: by the operator, an answers file or a flag.
public struct Question: Sendable, Hashable {
    public var step: String
    public var variable: String
    public var text: String
    public var choices: [String]
    /// What a person means by pressing Enter; nobody at the keyboard still leaves it unanswered.
    public var defaultChoice: String? = nil
}

/// A remediation waiting for a person's confirmation.
public struct Confirmation: Sendable, Hashable {
    public var remediation: String
    public var title: String
    public var risk: Risk
    /// The exact command, SQL or request that will run.
    public var detail: String
    public var kind: String
    /// For destructive ones: the word the operator must type.
    public var word: String?
    public var findings: [Finding]
}

/// What the driver must do next.
public enum SessionAction: Sendable, Hashable {
    case run(PendingStep)
    case ask(Question)
    case confirm(Confirmation)
    /// A confirmed fix that needs other people's approval before it runs.
    case approve(ApprovalNeed)
    case finished(OutcomeStatus)
}

/// How a remediation went, for summaries and `--format json`.
public struct RemediationReport: Sendable, Hashable, Codable {
    public var id: String
    public var risk: Risk
    public var offered: Bool = false
    public var applied: Bool = false
    public var verified: Bool = false
    public var declined: String?
    /// Why its guard stopped it right before it acted.
    public var refused: String?
}
