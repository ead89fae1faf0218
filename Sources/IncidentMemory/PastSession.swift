import Foundation
import RunbookKit

/// What the memory keeps of one finished session: who, where, when, what
/// was found (the causes and what they explain), which fixes were offered and
/// how each came out. Built from a transcript read as a chain (a resumed
/// session is one session); targets are as the transcript has them, redacted.
public struct PastSession: Sendable, Hashable {
    /// A warning or critical finding the session reported, named `RUNBOOK/ID`.
    public struct Seen: Sendable, Hashable {
        public var finding: String
        public var message: String
        public var severity: String
        /// Its place among the diagnosis's causes (0 first); nil for a finding another one explains.
        public var causeRank: Int?
        /// The cause that explains it, for one that is not a cause.
        public var explainedBy: String?
    }

    /// How a fix offered in the session came out.
    public enum FixState: String, Sendable, Hashable, Codable {
        case offered, declined, refused, applied, verified
        /// Applied, and its verify step found what it fixes still there (or the fix itself failed).
        case failed
    }

    public struct Fix: Sendable, Hashable {
        public var remediation: String
        /// The findings it fixes, by their id in its runbook.
        public var fixes: [String]
        public var state: FixState
        public var host: String?
    }

    public var path: String
    public var sha256: String
    public var started: Date
    public var user: String?
    public var host: String?
    public var command: String?
    /// How it ran: interactive, script, unattended (`session_start`'s mode).
    public var mode: String?
    public var targets: [String: String]
    public var runbooks: [String]
    /// The runbooks walked, not swept: the one run, or those the shell started.
    public var walked: [String]
    public var outcome: String
    /// The transcript this one continues, when it was resumed.
    public var continues: String?
    public var seen: [Seen]
    public var fixes: [Fix]
    /// Titles, alert summaries and findings' messages: what `rbsh recall TEXT` matches.
    public var symptoms: [String]

    /// The causes, first first.
    public var causes: [Seen] { seen.filter { $0.causeRank != nil }.sorted { ($0.causeRank ?? 0) < ($1.causeRank ?? 0) } }

    /// Sessions that are checks rather than incidents: `rbsh test`'s cases and replays.
    public static let notIncidents: Set<String> = ["test", "replay"]

    /// `local` of a finding id: after its last `/`.
    public static func local(_ id: String) -> String { id.split(separator: "/").last.map(String.init) ?? id }

    /// Reads what `transcript` (a chain, read whole: its header is the
    /// first one's) says; `continues`, what its own file continues.
    public init(_ transcript: Transcript, sha256: String, continues: String? = nil) {
        let header = transcript.header
        let summary = TranscriptSummary(transcript)
        path = transcript.path
        self.sha256 = sha256
        started = Self.date(header.started) ?? Date(timeIntervalSince1970: 0)
        user = header.user
        host = header.host
        command = header.command
        targets = header.targets ?? [:]
        runbooks = summary.runbooks
        walked = header.runbook.map { [$0] } ?? summary.runbooks
        outcome = (summary.outcome ?? .unknown).rawValue
        self.continues = continues ?? header.continues
        var titles: [String] = []
        var mode: String?
        for event in transcript.events {
            switch event.local {
            case .sessionStarted(let start) where mode == nil: mode = start.mode
            case .runbookStarted(_, let title, _): if !titles.contains(title) { titles.append(title) }
            default: break
            }
        }
        self.mode = mode
        let walked = header.runbook ?? summary.runbooks.first ?? "?"
        var seen: [Seen] = []
        for (rank, cause) in Self.causes(diagnosis: summary.diagnosis, findings: summary.findings, walked: walked).enumerated() {
            seen.append(
                Seen(
                    finding: cause.name, message: cause.finding?.message ?? "", severity: cause.finding?.level ?? "warning", causeRank: rank
                ))
            for e in cause.explains where !seen.contains(where: { $0.finding == e.name }) {
                seen.append(
                    Seen(
                        finding: e.name, message: e.finding?.message ?? "", severity: e.finding?.level ?? "warning", explainedBy: cause.name
                    ))
            }
        }
        self.seen = seen
        fixes = summary.remediations.map { r in
            let state: FixState
            if r.decision == .declined {
                state = .declined
            } else if r.refused != nil {
                state = .refused
            } else if let verified = r.verified {
                state = verified ? .verified : .failed
            } else if let applied = r.applied {
                state = applied == .ok ? .applied : .failed
            } else {
                state = .offered
            }
            let offered = transcript.events.lazy.compactMap { e -> [String]? in
                if case .remediationOffered(let id, _, let fixes, _) = e.local, id == r.id { return fixes }
                return nil
            }.first
            return Fix(remediation: Self.local(r.id), fixes: (offered ?? []).map(Self.local), state: state, host: r.host)
        }
        var symptoms = titles
        if let alert = header.alert {
            symptoms += ["summary", "description"].compactMap { alert.annotations[$0] }
            if let name = alert.labels["alertname"] { symptoms.append(name) }
        }
        symptoms += seen.map(\.message).filter { !$0.isEmpty }
        self.symptoms = symptoms
    }

    /// How the memory names a finding: `RUNBOOK/ID`, by the runbook whose rule
    /// it is (`walked` when it does not say), whether it was found in a sweep,
    /// an included runbook or the runbook walked.
    public static func name(of f: Finding, walked: String) -> String { "\(f.runbook ?? walked)/\(local(f.id))" }

    /// A cause as the memory names it, with the finding behind it (when the
    /// session reported it) and what it explains.
    public struct NamedCause: Sendable {
        public var name: String
        public var finding: Finding?
        public var explains: [(name: String, finding: Finding?)]
    }

    /// The causes of a session: its diagnosis's when a sweep made one, else
    /// every warning or critical finding it reported (one whose condition could
    /// not be judged is no cause); in the order the session ranks them.
    public static func causes(diagnosis: Diagnosis?, findings: [Finding], walked: String) -> [NamedCause] {
        let reported = findings.filter { $0.severity > .info && $0.state != .unknown }
        guard let diagnosis else {
            var out: [NamedCause] = []
            for f in reported where !out.contains(where: { $0.name == name(of: f, walked: walked) }) {
                out.append(NamedCause(name: name(of: f, walked: walked), finding: f, explains: []))
            }
            return out
        }
        let byID = Dictionary(reported.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func named(_ id: String) -> (name: String, finding: Finding?) { (byID[id].map { name(of: $0, walked: walked) } ?? id, byID[id]) }
        return diagnosis.causes.map { c in
            let cause = named(c.finding)
            return NamedCause(name: cause.name, finding: cause.finding, explains: c.explains.map(named))
        }
    }

    /// Whether `fix` is one of the fixes for `cause` (a `RUNBOOK/ID`).
    public static func fix(_ fix: Fix, fixes cause: String) -> Bool { fix.fixes.contains(local(cause)) }

    public static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
            ?? Date(text, strategy: .iso8601)
    }
}
