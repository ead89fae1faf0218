import Foundation
import RunbookKit

/// The gate a fix that needs approval waits at: it publishes the request
/// where the config says (a shared folder, or `rbsh serve`), looks for new
/// approvals as they land (a local folder: at once, through inotify) and at
/// least twenty times a second, checks each once (`ApprovalCheck`), records
/// what each came to, and grants once enough different people approved.
public final class SignedApprovals: ApprovalGate, @unchecked Sendable {
    public let config: ApprovalsConfig
    let targets: [String: String]
    /// How often the store is looked at, at least.
    static let pollInterval: Double = 0.05

    init(_ config: ApprovalsConfig, targets: [String: String]) {
        self.config = config
        self.targets = targets
    }

    public func obtain(
        _ need: ApprovalNeed, wait: Double?, cancelled: @escaping @Sendable () -> Bool, record: (TranscriptEvent) -> Void,
        notice: (String) -> Void
    ) -> (granted: Bool, reason: String?) {
        let store = config.store(watching: true)
        let request: ApprovalRequest
        do { request = try publish(need, in: store) } catch { return (false, error.description) }
        record(
            .approval(
                ApprovalEvent(.requested, code: request.code, remediation: need.remediation, needed: need.count, expires: request.expires)))
        let check = ApprovalCheck(
            request: request, allowedSigners: config.allowedSigners, lifetime: config.policy.lifetime, usedFolder: config.usedFolder)
        let deadline = wait.map { Date().addingTimeInterval($0) }
        var seen: Set<String> = []
        var approvers: [String] = []
        while true {
            for (name, data) in store.approvals(code: request.code) {
                // Each approval is looked at once; one rewritten is another.
                guard seen.insert("\(name) \(data.count) \(data.hashValue)").inserted else { continue }
                switch check.check(data) {
                case .success(let approval) where approvers.contains(approval.principal):
                    record(
                        refused(request, approval.principal, "\(approval.principal) approved it already: each approval is another person's")
                    )
                case .success(let approval):
                    approvers.append(approval.principal)
                    record(
                        .approval(
                            ApprovalEvent(
                                .granted, code: request.code, remediation: need.remediation, principal: approval.principal,
                                approvedAt: approval.approvedAt)))
                case .failure(let refusal):
                    record(refused(request, refusal.principal, "\(name): \(refusal.reason)"))
                }
            }
            if approvers.count >= need.count { return (true, nil) }
            if cancelled() { return giveUp(request, "stopped waiting for its approval", store) }
            if let deadline, Date() >= deadline {
                let have = approvers.isEmpty ? "" : " (\(approvers.count) of \(need.count) came)"
                return giveUp(
                    request,
                    "no approval within \(DurationText.text(wait ?? 0))\(have): it waited for \(need.count) to `rbsh approve \(request.code)`",
                    store)
            }
            store.pause(Self.pollInterval)
        }
    }

    func refused(_ request: ApprovalRequest, _ principal: String?, _ reason: String) -> TranscriptEvent {
        .approval(ApprovalEvent(.refused, code: request.code, remediation: request.remediation, principal: principal, reason: reason))
    }

    /// Publishes the request under a code no other request has.
    func publish(_ need: ApprovalNeed, in store: any ApprovalStore) throws(ConfigError) -> ApprovalRequest {
        let target = ApprovalRequest.target(kind: need.kind, targets: targets)
        for _ in 0..<20 {
            let request = ApprovalRequest(
                need, code: ApprovalRequest.newCode(), target: target, requester: config.requester, now: Date(),
                lifetime: config.policy.lifetime)
            if try store.publish(request) { return request }
        }
        throw ConfigError("cannot find a free request code in \(store.place)")
    }

    /// Gives the request up: `rbsh approve` refuses it from then on.
    func giveUp(_ request: ApprovalRequest, _ reason: String, _ store: any ApprovalStore) -> (granted: Bool, reason: String?) {
        store.close(code: request.code, reason: reason)
        return (false, reason)
    }
}
