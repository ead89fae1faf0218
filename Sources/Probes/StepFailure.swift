import Clients
import Foundation
import RunbookKit

/// What a client's error means for a step: how the step ended and its
/// `error_kind`. Each client's errors say it once, here; `StepResult(failure:)`
/// is the one place a failure becomes a result.
protocol StepFailure: Error, CustomStringConvertible {
    /// `failed` when the target answered no (a refused port, an SQL error),
    /// `error` when the step could not run, `timeout`, `interrupted`.
    var stepStatus: StepStatus { get }
    /// `unreachable`, `auth`, `timeout`, `refused`, `query`...
    var errorKind: String { get }
    /// Further results the error carries (`sqlstate`).
    var failureValues: [String: Value] { get }
    /// Whether the target answered at all (an SQL error: yes; a refused port: no).
    var connected: Bool { get }
}

extension StepFailure {
    var failureValues: [String: Value] { [:] }
    var connected: Bool { stepStatus == .failed }
}

extension StepResult {
    /// A step that a client's error ended. `connected` says whether the
    /// target answered at all.
    init(failure: some StepFailure) {
        self.init(status: failure.stepStatus, error: failure.description)
        values = failure.failureValues
        values["error_kind"] = .string(failure.errorKind)
        values["connected"] = .bool(failure.connected)
    }
}

extension PostgresError: StepFailure {
    var stepStatus: StepStatus {
        switch self {
        case .timeout: return .timeout
        case .queryFailed: return .failed
        case .cancelled: return .interrupted
        case .unreachable, .authenticationFailed, .connectionLost, .badConfiguration: return .error
        }
    }

    var errorKind: String {
        switch self {
        case .unreachable: return "unreachable"
        case .authenticationFailed: return "auth"
        case .timeout: return "timeout"
        case .queryFailed: return "query"
        case .connectionLost: return "connection_lost"
        case .cancelled: return "interrupted"
        case .badConfiguration: return "configuration"
        }
    }

    var failureValues: [String: Value] {
        if case .queryFailed(let code, _) = self { return ["sqlstate": .string(code)] }
        return [:]
    }
}

extension RedisError: StepFailure {
    var stepStatus: StepStatus {
        switch self {
        case .timeout: return .timeout
        case .commandFailed: return .failed
        case .unreachable, .authenticationFailed, .connectionLost, .badURL: return .error
        }
    }

    var errorKind: String {
        switch self {
        case .unreachable: return "unreachable"
        case .authenticationFailed: return "auth"
        case .timeout: return "timeout"
        // The reply's first word: WRONGTYPE, NOSCRIPT, ERR...
        case .commandFailed(let code, _): return code
        case .connectionLost: return "connection_lost"
        case .badURL: return "configuration"
        }
    }
}

extension NetworkError: StepFailure {
    /// Nothing answered at the protocol's level, whatever the error.
    var connected: Bool { false }

    var stepStatus: StepStatus {
        switch self {
        case .refused: return .failed
        case .timeout: return .timeout
        case .interrupted: return .interrupted
        case .dns, .unreachable, .protocolError, .badAddress: return .error
        }
    }

    var errorKind: String {
        switch self {
        case .refused: return "refused"
        case .dns: return "dns"
        case .unreachable: return "unreachable"
        case .timeout: return "timeout"
        case .interrupted: return "interrupted"
        case .protocolError(let m): return m.hasPrefix("TLS") ? "tls" : "protocol"
        case .badAddress: return "configuration"
        }
    }
}
