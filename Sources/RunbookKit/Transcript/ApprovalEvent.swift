import Foundation

/// What became of a fix's approval: requested (with the code others approve
/// it by), granted by one principal, or one approval refused and why.
public struct ApprovalEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case requested, granted, refused
    }

    public var kind: Kind
    /// The request's short code (`rbsh approve CODE`).
    public var code: String
    /// The fix, qualified as the session knows it.
    public var remediation: String
    /// Requested: how many approvals it needs, and when the request lapses.
    public var needed: Int?
    public var expires: String?
    /// Granted or refused: who signed (as the approval claims, when refused).
    public var principal: String?
    /// Granted: when it was signed.
    public var approvedAt: String?
    /// Refused: the rule it failed.
    public var reason: String?

    public init(
        _ kind: Kind, code: String, remediation: String, needed: Int? = nil, expires: String? = nil, principal: String? = nil,
        approvedAt: String? = nil, reason: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.remediation = remediation
        self.needed = needed
        self.expires = expires
        self.principal = principal
        self.approvedAt = approvedAt
        self.reason = reason
    }

    /// One line for a timeline.
    public var line: String {
        switch kind {
        case .requested:
            let n = needed ?? 1
            return "approval requested: \(remediation) needs \(n) approval\(n == 1 ? "" : "s"): rbsh approve \(code)"
        case .granted: return "approved: \(remediation) by \(principal ?? "?") at \(approvedAt ?? "?")"
        case .refused: return "approval refused: \(remediation)\(principal.map { " (from \($0))" } ?? ""): \(reason ?? "")"
        }
    }

    enum Field: String, CodingKey {
        case code, remediation, needed, expires, principal, reason
        case approvedAt = "approved_at"
    }

    init(_ kind: Kind, from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Field.self)
        self.init(
            kind, code: try c.decodeIfPresent(String.self, forKey: .code) ?? "",
            remediation: try c.decodeIfPresent(String.self, forKey: .remediation) ?? "",
            needed: try c.decodeIfPresent(Int.self, forKey: .needed), expires: try c.decodeIfPresent(String.self, forKey: .expires),
            principal: try c.decodeIfPresent(String.self, forKey: .principal),
            approvedAt: try c.decodeIfPresent(String.self, forKey: .approvedAt), reason: try c.decodeIfPresent(String.self, forKey: .reason)
        )
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        try c.encode(code, forKey: .code)
        try c.encode(remediation, forKey: .remediation)
        try c.encodeIfPresent(needed, forKey: .needed)
        try c.encodeIfPresent(expires, forKey: .expires)
        try c.encodeIfPresent(principal, forKey: .principal)
        try c.encodeIfPresent(approvedAt, forKey: .approvedAt)
        try c.encodeIfPresent(reason, forKey: .reason)
    }
}
