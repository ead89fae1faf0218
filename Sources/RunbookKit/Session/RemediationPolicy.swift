import Foundation

/// Who decides whether a remediation runs, and how far they may go.
public struct RemediationPolicy: Sendable, Hashable {
    public enum Mode: Sendable, Hashable {
        /// A person confirms each one: y/N for safe and changes, a typed word for destructive.
        case person
        /// Nobody is asked: a remediation runs only if its risk is at most `allow`.
        case unattended(allow: Risk?)
    }

    public var mode: Mode
    /// Show what would run; run nothing that changes anything.
    public var dryRun: Bool
    /// Which fixes need other people's approval first (nil: none do).
    public var approvals: ApprovalPolicy?

    public init(mode: Mode, dryRun: Bool = false, approvals: ApprovalPolicy? = nil) {
        self.mode = mode
        self.dryRun = dryRun
        self.approvals = approvals
    }

    public static let person = RemediationPolicy(mode: .person)

    public enum Decision: Sendable, Hashable {
        case ask
        case run
        case refuse(String)
    }

    public func decide(_ remediation: Remediation) -> Decision {
        if dryRun { return .refuse("dry run: not run") }
        if let review = remediation.review {
            return .refuse("marked for review (\(review)): decide, then remove its review mark")
        }
        switch mode {
        case .person:
            return .ask
        case .unattended(let allow):
            guard let allow, remediation.risk <= allow else {
                return .refuse("needs --allow \(remediation.risk.rawValue) to run unattended")
            }
            return .run
        }
    }
}
