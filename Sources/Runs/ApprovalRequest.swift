import Foundation
import RunbookKit

/// What a fix that needs approval asks for, exactly: the action as it will
/// run, its target, the finding it fixes, and the transcript (id and SHA-256
/// of what it held then). An approval signs these bytes (`signedMessage`),
/// so it approves nothing else.
public struct ApprovalRequest: Codable, Sendable, Hashable {
    public var code: String
    public var transcript: String
    public var transcriptSHA256: String
    public var runbook: String
    public var remediation: String
    public var title: String
    public var risk: Risk
    public var action: String
    public var target: String
    public var fixes: [String]
    /// How many approvals, each from another principal than the requester.
    public var needed: Int
    public var requester: String
    public var requested: String
    /// When the request lapses (the waiting rbsh gives up before).
    public var expires: String

    enum CodingKeys: String, CodingKey {
        case code, transcript, runbook, remediation, title, risk, action, target, fixes, needed, requester, requested, expires
        case transcriptSHA256 = "transcript_sha256"
    }

    public init(_ need: ApprovalNeed, code: String, target: String, requester: String, now: Date, lifetime: Double) {
        self.code = code
        transcript = need.transcript
        transcriptSHA256 = need.transcriptSHA256
        runbook = need.runbook
        remediation = need.remediation
        title = need.title
        risk = need.risk
        action = need.action
        self.target = target
        fixes = need.fixes
        needed = need.count
        self.requester = requester
        requested = ApprovalRequest.timestamp(now)
        expires = ApprovalRequest.timestamp(now.addingTimeInterval(lifetime))
    }

    /// Its JSON with sorted keys: the same bytes wherever it is encoded.
    public var canonical: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// What an approval by `principal` at `approvedAt` signs (namespace `rbsh-approval`).
    public func signedMessage(principal: String, approvedAt: String) -> Data {
        Data("rbsh approval\n".utf8) + canonical + Data("\nprincipal \(principal)\napproved_at \(approvedAt)\n".utf8)
    }

    public static let namespace = "rbsh-approval"

    /// A short code to say over the phone: six of 31 letters and digits nobody misreads.
    public static func newCode() -> String {
        let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }

    public static func timestamp(_ date: Date, milliseconds: Bool = false) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = milliseconds ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return f.string(from: date)
    }

    public static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
            ?? {
                f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                return f.date(from: text)
            }()
    }

    /// What a step of `kind` acts on, as requests and confirmations name it (URLs redacted).
    public static func target(kind: String, targets redacted: [String: String]) -> String {
        switch StepKind.named(kind)?.target {
        case "postgres": return "postgres \(redacted["postgres"] ?? "")"
        case "redis": return "redis \(redacted["redis"] ?? "")"
        case "api": return "api \(redacted["api"] ?? "")"
        case "local": return "\(TranscriptHeader.hostName) as \(TranscriptHeader.userName)"
        default: return kind
        }
    }
}

/// One operator's signed approval of a request: the file `rbsh approve` writes.
public struct Approval: Codable, Sendable, Hashable {
    public var request: ApprovalRequest
    public var principal: String
    public var approvedAt: String
    /// `ssh-keygen -Y sign`'s armored signature of `request.signedMessage(principal:approvedAt:)`.
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case request, principal, signature
        case approvedAt = "approved_at"
    }

    public init(request: ApprovalRequest, principal: String, approvedAt: String, signature: String) {
        self.request = request
        self.principal = principal
        self.approvedAt = approvedAt
        self.signature = signature
    }
}
