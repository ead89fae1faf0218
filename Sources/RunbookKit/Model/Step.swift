import Foundation

/// Where something stands in a runbook file, for diagnostics.
public struct FilePosition: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One step of a runbook: an action, a timeout, the findings it can report
/// and where to go next.
public struct Step: Sendable, Hashable {
    public var id: String
    public var title: String
    public var action: StepAction
    /// Seconds.
    public var timeout: Double
    public var findings: [FindingRule]
    /// Tried in order; the first that holds decides. No branch: the next step.
    public var next: [Branch]
    /// Runs at the same time as the concurrent steps next to it (unattended).
    public var concurrent: Bool = false
    /// In a run over a fleet: where it runs, when the runbook says (`on:`).
    public var placement: Placement?
    /// The tables it reads whole (`scans:`): never run in a sweep, and its
    /// cost said (rows estimated from the catalog) before it runs.
    public var scans: [String] = []
    /// What the step is for, as the runbook's prose says it (a Markdown
    /// runbook's paragraphs above the block); shown before it runs.
    public var description: String = ""
    public var location: FilePosition?

    /// `on: hosts` or `on: local`.
    public enum Placement: String, Sendable, Hashable, CaseIterable {
        case hosts, local
    }

    /// Whether it runs on each host of a fleet: shell, system and listening
    /// tcp steps do unless `on: local`; every other kind runs once, here.
    public var runsOnHosts: Bool {
        guard Self.canRunOnHosts(action) else { return false }
        return placement != .local
    }

    /// The kinds that can: the host's shell, /proc and sockets.
    public static func canRunOnHosts(_ action: StepAction) -> Bool {
        switch action {
        case .shell, .system: return true
        case .tcp(let a): return a.listening
        default: return false
        }
    }

    public static let defaultTimeout: Double = 30

    public init(
        id: String, title: String, action: StepAction, timeout: Double = Step.defaultTimeout,
        findings: [FindingRule] = [], next: [Branch] = [], location: FilePosition? = nil
    ) {
        self.id = id
        self.title = title
        self.action = action
        self.timeout = timeout
        self.findings = findings
        self.next = next
        self.location = location
    }
}

/// `next:` entry: go to `target` when `condition` holds (or always, without one).
public struct Branch: Sendable, Hashable {
    /// The step id, or `end`.
    public var target: String
    public var condition: Expression?

    public static let end = "end"

    public init(target: String, condition: Expression? = nil) {
        self.target = target
        self.condition = condition
    }
}

/// A condition over a step's result that, when it holds, is a finding.
public struct FindingRule: Sendable, Hashable {
    public var id: String
    public var condition: Expression
    public var severity: Severity
    /// May name results as `${name}`.
    public var message: String
    /// Findings this one causes, when both hold: `ID` in the same runbook,
    /// `RUNBOOK/ID` in another. A sweep's diagnosis ranks a cause before them.
    public var explains: [String]

    public init(id: String, condition: Expression, severity: Severity, message: String, explains: [String] = []) {
        self.id = id
        self.condition = condition
        self.severity = severity
        self.message = message
        self.explains = explains
    }
}

/// A way to fix findings, with its risk and the step that proves it worked.
public struct Remediation: Sendable {
    public var id: String
    public var title: String
    public var fixes: [String]
    public var risk: Risk
    /// What it does; any step kind.
    public var action: Step
    /// The steps to re-run afterwards; the findings it fixes must no longer hold.
    /// Diagnostic steps' ids, or nil for "re-run the steps that reported them".
    public var verify: [String]?
    /// For `destructive`: the word the operator must type to confirm.
    public var confirmWord: String?
    /// The steps run again right before it acts (`guard:`); nil for the
    /// steps that reported the findings it fixes. It acts only if one of
    /// them still holds, on the same thing it was offered for.
    public var guardSteps: [String]?
    public var location: FilePosition?
    /// What a person still has to decide before it may run (an imported draft's guess); while it is
    /// set, the fix is not run, by anyone.
    public var review: String?

    public init(
        id: String, title: String, fixes: [String], risk: Risk, action: Step,
        verify: [String]? = nil, confirmWord: String? = nil, guardSteps: [String]? = nil, location: FilePosition? = nil
    ) {
        self.id = id
        self.title = title
        self.fixes = fixes
        self.risk = risk
        self.action = action
        self.verify = verify
        self.confirmWord = confirmWord
        self.guardSteps = guardSteps
        self.location = location
    }

    /// Whether it re-checks before it acts: every one that changes
    /// something, and a safe one that names a guard. A manual one is done
    /// by a person, who sees for themselves.
    public var isGuarded: Bool {
        if case .manual = action.action { return false }
        return risk > .safe || guardSteps != nil
    }
}
