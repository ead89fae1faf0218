import Foundation
import RunbookKit
import Yams

/// `approvals: {folder: /srv/rbsh/approvals, require: {destructive: 1, RUNBOOK/FIX: 2}, ttl: 15m}`:
/// which fixes need how many other operators' approvals, the shared folder
/// requests and approvals travel through, and how long an approval lives.
/// Approvals are checked against `signing.allowed_signers`. Without an
/// `approvals:` section nothing needs approval.
public struct ApprovalsConfig: Sendable {
    public var folder: String
    public var policy: ApprovalPolicy
    public var allowedSigners: String
    /// Who asks: `signing.principal`, else the user's name.
    public var requester: String

    /// The gate a session waits at, with the targets its requests name.
    public func gate(targets: Targets) -> FolderApprovals {
        FolderApprovals(self, targets: targets.redacted)
    }

    static func read(_ node: Yams.Node?, signing: SigningConfig, path: String) throws(ConfigError) -> ApprovalsConfig? {
        guard let node else { return nil }
        let shape = "approvals is {folder: PATH, require: {destructive: 1, RUNBOOK/FIX: 2}, ttl: 15m}"
        guard node.mapping != nil else { throw ConfigError("\(path): \(shape)") }
        guard let folder = node["folder"]?.string else { throw ConfigError("\(path): approvals needs a folder: \(shape)") }
        guard let allowed = signing.allowedSigners else {
            throw ConfigError("\(path): approvals are checked against signing.allowed_signers, which the config does not name")
        }
        var policy = ApprovalPolicy()
        if let require = node["require"] {
            guard let mapping = require.mapping else {
                throw ConfigError("\(path): approvals.require maps a risk or RUNBOOK/FIX to a count")
            }
            for (k, v) in mapping {
                guard let key = k.string, let count = v.int, count >= 0 else {
                    throw ConfigError("\(path): approvals.require maps a risk or RUNBOOK/FIX to a count (0 or more)")
                }
                if let risk = Risk(rawValue: key) { policy.byRisk[risk] = count } else { policy.byRemediation[key] = count }
            }
        }
        if let ttl = node["ttl"] {
            guard let seconds = ttl.string.flatMap(DurationText.seconds) else {
                throw ConfigError("\(path): approvals.ttl is how long an approval lives: 15m, 900s, 1h")
            }
            policy.lifetime = seconds
        }
        return ApprovalsConfig(
            folder: (folder as NSString).expandingTildeInPath, policy: policy, allowedSigners: (allowed as NSString).expandingTildeInPath,
            requester: signing.principal ?? TranscriptHeader.userName)
    }
}
