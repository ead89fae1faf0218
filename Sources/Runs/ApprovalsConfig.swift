import Foundation
import RunbookKit
import Yams

/// `approvals: {folder: /srv/rbsh/approvals, require: {destructive: 1, RUNBOOK/FIX: 2}, ttl: 15m}`,
/// or `{url: http://rbsh.internal:9095, token: …, …}` for a team's rbsh serve:
/// which fixes need how many other operators' approvals, where requests and
/// approvals travel, and how long an approval lives. Approvals are checked
/// against `signing.allowed_signers`. Without an `approvals:` section
/// nothing needs approval.
public struct ApprovalsConfig: Sendable {
    public var folder: String?
    public var url: String?
    public var token: String?
    public var policy: ApprovalPolicy
    public var allowedSigners: String
    /// Who asks: `signing.principal`, else the user's name.
    public var requester: String
    /// Where approvals already used are marked: the shared folder's `used/`,
    /// or (through rbsh serve) this machine's state folder.
    public var usedFolder: String

    /// Where requests and approvals travel.
    public func store(watching: Bool = false) -> any ApprovalStore {
        if let url { return ServeApprovalStore(url: url, token: token) }
        return FolderApprovalStore(folder: folder ?? ".", watching: watching)
    }

    /// The gate a session waits at, with the targets its requests name.
    public func gate(targets: Targets) -> SignedApprovals {
        SignedApprovals(self, targets: targets.redacted)
    }

    static func read(
        _ node: Yams.Node?, signing: SigningConfig, path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ApprovalsConfig? {
        guard let node else { return nil }
        let shape = "approvals is {folder: PATH or url: URL, require: {destructive: 1, RUNBOOK/FIX: 2}, ttl: 15m}"
        guard node.mapping != nil else { throw ConfigError("\(path): \(shape)") }
        let folder = node["folder"]?.string.map { ($0 as NSString).expandingTildeInPath }
        let url = node["url"]?.string
        guard (folder == nil) != (url == nil) else { throw ConfigError("\(path): approvals needs a folder or a url (one): \(shape)") }
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
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/state")
        return ApprovalsConfig(
            folder: folder, url: url, token: node["token"]?.string, policy: policy,
            allowedSigners: (allowed as NSString).expandingTildeInPath, requester: signing.principal ?? TranscriptHeader.userName,
            usedFolder: folder.map { $0 + "/used" } ?? state + "/rbsh/approvals-used")
    }
}
