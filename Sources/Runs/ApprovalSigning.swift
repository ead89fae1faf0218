import Clients
import Foundation
import RunbookKit

/// The approver's side: reads a request by its code and adds a signed
/// approval of it (`rbsh approve CODE`).
public enum ApprovalSigning {
    /// The request `code` in `store`, if it is there and still open.
    public static func request(_ code: String, in store: any ApprovalStore) throws(ConfigError) -> ApprovalRequest {
        let code = code.uppercased()
        guard code.range(of: "^[A-Z0-9]{1,16}$", options: .regularExpression) != nil else {
            throw ConfigError("`\(code)` is not a request code (six letters and digits, as the waiting rbsh shows it)")
        }
        return try store.request(code: code)
    }

    /// Signs `request` as `principal` with `key` and adds the approval to `store`; where it went.
    public static func approve(
        _ request: ApprovalRequest, in store: any ApprovalStore, key: String, principal: String, now: Date = Date()
    ) throws(ConfigError) -> String {
        let approvedAt = ApprovalRequest.timestamp(now, milliseconds: true)
        let signature: String
        do {
            signature = try SSHSignatures.sign(
                request.signedMessage(principal: principal, approvedAt: approvedAt), key: key, namespace: ApprovalRequest.namespace)
        } catch {
            throw ConfigError(error.reason)
        }
        return try store.add(Approval(request: request, principal: principal, approvedAt: approvedAt, signature: signature))
    }

    /// The request as the approver reads it before signing.
    public static func describe(_ r: ApprovalRequest) -> [String] {
        [
            "request \(r.code): \(r.needed) approval\(r.needed == 1 ? "" : "s") from someone other than \(r.requester)",
            "  fix        \(r.remediation) — \(r.title) [\(r.risk.rawValue)]",
            "  runbook    \(r.runbook)",
            "  fixes      \(r.fixes.joined(separator: ", "))",
            "  target     \(r.target)",
            "  transcript \(r.transcript) (SHA-256 \(r.transcriptSHA256.prefix(16))…)",
            "  requested  \(r.requested), lapses \(r.expires)",
            "  runs:",
        ] + r.action.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
    }
}
