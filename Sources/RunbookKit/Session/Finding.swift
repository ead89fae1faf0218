import Foundation

/// A finding a step reported: a rule whose condition held, with its message filled in.
public struct Finding: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        /// The condition holds.
        case open
        /// The condition could not be evaluated: a name had no value.
        case unknown
        /// It held once, and a verify step showed it no longer does.
        case resolved
    }

    public var id: String
    public var severity: Severity
    public var message: String
    public var step: String
    public var state: State
    /// The runbook whose rule it is (an included or swept one, or the one walked).
    public var runbook: String?
    /// The host of a fleet it was found on; nil for the operator's machine.
    public var host: String?

    /// As reports show it: the severity, or `unknown` for a finding whose
    /// condition could not be evaluated (whatever severity its author gave).
    public var level: String { state == .unknown ? "unknown" : severity.rawValue }

    /// The one way a finding is written on a line: `LEVEL ID[QUALIFIER]: MESSAGE`.
    /// `label` is its level as the reader shows it (upper case when plain),
    /// `qualifier` says where or in which state (` (here)`, ` [resolved]`).
    public func line(label: String? = nil, qualifier: String = "", redact: (String) -> String = { $0 }) -> String {
        "\(label ?? level.uppercased()) \(id)\(qualifier): \(redact(message))"
    }

    public init(id: String, severity: Severity, message: String, step: String, state: State = .open, runbook: String? = nil) {
        self.id = id
        self.severity = severity
        self.message = message
        self.step = step
        self.state = state
        self.runbook = runbook
    }
}

/// The overall result of a session, as monitoring plugins report it.
public enum OutcomeStatus: String, Sendable, Codable, Comparable {
    case ok, warning, critical, unknown

    /// 0 ok, 1 warning, 2 critical, 3 unknown: the exit status of `rbsh run`.
    public var exitCode: Int32 {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .critical: return 2
        case .unknown: return 3
        }
    }

    private var rank: Int {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .unknown: return 2
        case .critical: return 3
        }
    }

    public static func < (a: OutcomeStatus, b: OutcomeStatus) -> Bool { a.rank < b.rank }
}
