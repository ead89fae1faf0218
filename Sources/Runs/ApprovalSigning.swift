import Clients
import Foundation
import RunbookKit

/// The approver's side of the folder: reads a request by its code and
/// writes a signed approval of it (`rbsh approve CODE`).
public enum ApprovalSigning {
    /// The request `code` in `folder`, if it is there and still open.
    public static func request(_ code: String, folder: String) throws(ConfigError) -> ApprovalRequest {
        let code = code.uppercased()
        guard code.range(of: "^[A-Z0-9]{1,16}$", options: .regularExpression) != nil else {
            throw ConfigError("`\(code)` is not a request code (six letters and digits, as the waiting rbsh shows it)")
        }
        if let closed = try? String(contentsOfFile: FolderApprovals.closedPath(folder, code: code), encoding: .utf8) {
            throw ConfigError("request \(code) is closed: \(closed.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let data = FileManager.default.contents(atPath: FolderApprovals.requestPath(folder, code: code)) else {
            throw ConfigError("no request \(code) in \(folder)")
        }
        guard let request = try? JSONDecoder().decode(ApprovalRequest.self, from: data), request.code == code else {
            throw ConfigError("request \(code) in \(folder) is not an rbsh approval request")
        }
        return request
    }

    /// Signs `request` as `principal` with `key` and writes the approval next to it; its path.
    public static func approve(
        _ request: ApprovalRequest, folder: String, key: String, principal: String, now: Date = Date()
    ) throws(ConfigError) -> String {
        let approvedAt = ApprovalRequest.timestamp(now, milliseconds: true)
        let signature: String
        do {
            signature = try SSHSignatures.sign(
                request.signedMessage(principal: principal, approvedAt: approvedAt), key: key, namespace: ApprovalRequest.namespace)
        } catch {
            throw ConfigError(error.reason)
        }
        let approval = Approval(request: request, principal: principal, approvedAt: approvedAt, signature: signature)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let safe = String(principal.map { $0.isLetter || $0.isNumber || "@.-_".contains($0) ? $0 : "_" })
        let path = "\(folder)/\(request.code).\(safe).\(UUID().uuidString.prefix(8).lowercased()).approval"
        // Written whole, then renamed: the waiting rbsh never reads half of it.
        let partial = "\(folder)/.\(request.code).\(safe).\(getpid()).partial"
        do {
            try encoder.encode(approval).write(to: URL(fileURLWithPath: partial))
        } catch {
            throw ConfigError("cannot write the approval in \(folder): \(error.localizedDescription)")
        }
        guard rename(partial, path) == 0 else {
            unlink(partial)
            throw ConfigError("cannot write the approval \(path): \(String(cString: strerror(errno)))")
        }
        return path
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
