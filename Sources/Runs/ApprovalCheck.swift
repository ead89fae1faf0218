import Clients
import Foundation
import RunbookKit

/// The rules an approval must pass, in order; the first it fails refuses it
/// in one line that names the rule.
public struct ApprovalCheck: Sendable {
    /// The request as this rbsh made it.
    public var request: ApprovalRequest
    public var allowedSigners: String
    /// Seconds an approval lives after it was signed.
    public var lifetime: Double
    /// Where approvals already used are marked, once each.
    public var usedFolder: String

    /// Why an approval was refused: who it claims to be from, and the rule it failed.
    public struct Refusal: Error, Sendable, Hashable {
        public var principal: String?
        public var reason: String
    }

    public init(request: ApprovalRequest, allowedSigners: String, lifetime: Double, usedFolder: String) {
        self.request = request
        self.allowedSigners = allowedSigners
        self.lifetime = lifetime
        self.usedFolder = usedFolder
    }

    /// The approval in `data`, if it passes every rule; `now` is the time it is checked at.
    /// Passing marks it used: a second check of the same approval refuses it.
    public func check(_ data: Data, now: Date = Date()) -> Result<Approval, Refusal> {
        guard let approval = try? JSONDecoder().decode(Approval.self, from: data) else {
            return .failure(Refusal(principal: nil, reason: "not an rbsh approval (unreadable or cut short)"))
        }
        let who = approval.principal
        func refuse(_ reason: String) -> Result<Approval, Refusal> { .failure(Refusal(principal: who, reason: reason)) }
        let a = approval.request
        // What it signed is what it names: check the signature first, then what it names.
        let message = a.signedMessage(principal: who, approvedAt: approval.approvedAt)
        if case .failure(let why) = SSHSignatures.verify(
            message, armored: approval.signature, principal: who, namespace: ApprovalRequest.namespace, allowedSigners: allowedSigners)
        {
            return refuse(signatureRefusal(approval, why))
        }
        guard who != request.requester else { return refuse("\(who) made the request: approvals come from someone else") }
        // The requester's own key under another name in allowed_signers is the requester still.
        if SSHSignatures.principals(of: approval.signature, allowedSigners: allowedSigners).contains(request.requester) {
            return refuse("it is signed with \(request.requester)'s own key: approvals come from someone else")
        }
        guard a.code == request.code else { return refuse("it approves request \(a.code), not \(request.code)") }
        guard a.action == request.action else { return refuse("it approves another action than the one that would run") }
        guard a.target == request.target else { return refuse("it approves the fix on \(a.target), not on \(request.target)") }
        guard a.transcript == request.transcript else {
            return refuse("it approves the fix for transcript \(a.transcript), not this session's \(request.transcript)")
        }
        guard a == request else {
            return refuse("it approves a request that differs from this one (\(differences(a).joined(separator: ", ")))")
        }
        guard let signed = ApprovalRequest.date(approval.approvedAt) else { return refuse("its time \(approval.approvedAt) is not a time") }
        if signed.timeIntervalSince(now) > 60 { return refuse("it was signed in the future (\(approval.approvedAt))") }
        if now.timeIntervalSince(signed) > lifetime {
            return refuse("it expired: signed at \(approval.approvedAt), an approval lives \(DurationText.text(lifetime))")
        }
        return markUsed(approval, now: now).map { .failure(Refusal(principal: who, reason: $0)) } ?? .success(approval)
    }

    /// Says why a signature failed: whose key made it, if allowed_signers knows it.
    func signatureRefusal(_ approval: Approval, _ why: SignatureFailure) -> String {
        let owners = SSHSignatures.principals(of: approval.signature, allowedSigners: allowedSigners)
        if owners.isEmpty {
            return "its signature is not by a key in allowed_signers for \(approval.principal) (\(why.reason))"
        }
        if !owners.contains(approval.principal) {
            return "it claims to be from \(approval.principal) but is signed with \(owners.joined(separator: ", "))'s key"
        }
        return "its signature does not verify for \(approval.principal): what it names was changed after it was signed"
    }

    func differences(_ a: ApprovalRequest) -> [String] {
        var d: [String] = []
        if a.transcriptSHA256 != request.transcriptSHA256 { d.append("transcript_sha256") }
        if a.runbook != request.runbook { d.append("runbook") }
        if a.remediation != request.remediation { d.append("remediation") }
        if a.risk != request.risk { d.append("risk") }
        if a.fixes != request.fixes { d.append("fixes") }
        if a.needed != request.needed { d.append("needed") }
        if a.requester != request.requester { d.append("requester") }
        if a.requested != request.requested || a.expires != request.expires { d.append("time") }
        if a.title != request.title { d.append("title") }
        return d
    }

    /// Marks the approval used, once: nil, or why it cannot be used.
    func markUsed(_ approval: Approval, now: Date) -> String? {
        let key = FileDigest.sha256(Data(approval.signature.utf8)) ?? approval.approvedAt
        let path = usedFolder + "/" + key
        mkdir(usedFolder, 0o755)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST {
                let when = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                return "it was already used\(when.map { $0.isEmpty ? "" : " (\($0))" } ?? "")"
            }
            return "cannot mark it used in \(usedFolder): \(String(cString: strerror(errno)))"
        }
        let line = "\(ApprovalRequest.timestamp(now)) request \(request.code) transcript \(request.transcript)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        return nil
    }
}
