import Foundation

/// How many approvals, by other people, a fix needs before it runs: by its
/// risk, or by its id (`RUNBOOK/REMEDIATION`, or `REMEDIATION` in any
/// runbook, which overrides the risk's count), and how long one lives.
public struct ApprovalPolicy: Sendable, Hashable {
    public var byRisk: [Risk: Int]
    public var byRemediation: [String: Int]
    /// Seconds an approval stays good after it was signed.
    public var lifetime: Double

    /// A policy file's defaults: one approval for a destructive fix, good for 15 minutes.
    public init(byRisk: [Risk: Int] = [.destructive: 1], byRemediation: [String: Int] = [:], lifetime: Double = 15 * 60) {
        self.byRisk = byRisk
        self.byRemediation = byRemediation
        self.lifetime = lifetime
    }

    /// The approvals `remediation` of `runbook` needs.
    public func needed(runbook: String, remediation: String, risk: Risk) -> Int {
        byRemediation["\(runbook)/\(remediation)"] ?? byRemediation[remediation] ?? byRisk[risk] ?? 0
    }
}

/// A fix that may run only once enough other people approved exactly this:
/// what the gate publishes as a request, and what an approval must name.
public struct ApprovalNeed: Sendable, Hashable {
    /// The remediation, qualified as the session knows it (`STEP/ID` inside an included runbook).
    public var remediation: String
    public var runbook: String
    public var title: String
    public var risk: Risk
    /// The exact command, SQL or request that will run.
    public var action: String
    /// Its step kind (`postgres`, `shell`...): which target it acts on.
    public var kind: String
    public var fixes: [String]
    /// How many approvals, each from another principal.
    public var count: Int
    /// The transcript recording the session, and its SHA-256 chain head when the request was made.
    public var transcript: String = ""
    public var transcriptSHA256: String = ""

    public init(
        remediation: String, runbook: String, title: String, risk: Risk, action: String, kind: String, fixes: [String], count: Int,
        transcript: String = "", transcriptSHA256: String = ""
    ) {
        self.remediation = remediation
        self.runbook = runbook
        self.title = title
        self.risk = risk
        self.action = action
        self.kind = kind
        self.fixes = fixes
        self.count = count
        self.transcript = transcript
        self.transcriptSHA256 = transcriptSHA256
    }
}

/// Publishes a fix's approval request, waits for approvals, checks each
/// (signature, signer, what it names, age, single use) and records what
/// happened. `rbsh`'s gate is a shared folder or `rbsh serve`.
public protocol ApprovalGate: Sendable {
    /// Granted, or why not, after at most `wait` seconds (nil: until `cancelled`).
    func obtain(
        _ need: ApprovalNeed, wait: Double?, cancelled: @escaping @Sendable () -> Bool,
        record: (TranscriptEvent) -> Void, notice: (String) -> Void
    ) -> (granted: Bool, reason: String?)
}
