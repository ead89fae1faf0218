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
    /// Whether the target answered at all (an SQL error: yes; a refused
    /// port: no); nil when the failure does not say (a timeout: it may have
    /// answered a moment later).
    var connected: Bool? { get }
}

extension StepFailure {
    var failureValues: [String: Value] { [:] }
    var connected: Bool? {
        switch stepStatus {
        case .timeout, .interrupted: return nil
        default: return stepStatus == .failed
        }
    }
}

extension StepResult {
    /// A step that a client's error ended: its values are only the facts the
    /// failure established (`connected` when it says, `error_kind`, `sqlstate`...).
    init(failure: some StepFailure) {
        self.init(status: failure.stepStatus, error: failure.description)
        values = failure.failureValues
        values["error_kind"] = .string(failure.errorKind)
        if let connected = failure.connected { values["connected"] = .bool(connected) }
    }
}

extension PostgresError: StepFailure {
    var stepStatus: StepStatus {
        switch self {
        case .timeout: return .timeout
        // The server's statement_timeout cancelled it: a timeout, not an answer.
        case .queryFailed("57014", _): return .timeout
        // A lock it may not wait for: the query could not run, and says nothing of the data.
        case .queryFailed("55P03", _): return .error
        case .queryFailed: return .failed
        case .cancelled: return .interrupted
        case .unreachable, .authenticationFailed, .connectionLost, .badConfiguration: return .error
        }
    }

    var errorKind: String {
        switch self {
        case .unreachable: return "unreachable"
        case .authenticationFailed: return "auth"
        case .timeout, .queryFailed("57014", _): return "timeout"
        case .queryFailed("55P03", _): return "lock"
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

    /// The server answered an SQL error (a timeout or lock it reported included); a timeout of ours leaves it open.
    var connected: Bool? {
        switch self {
        case .queryFailed: return true
        case .timeout, .cancelled: return nil
        default: return false
        }
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
    /// Nothing answered at the protocol's level, whatever the error; a
    /// timeout leaves it open.
    var connected: Bool? {
        switch self {
        case .timeout, .interrupted: return nil
        default: return false
        }
    }

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

extension ExchangeFailure: StepFailure {
    /// Closed without a byte, or answered in another protocol: the peer
    /// answered, not in HTTP; a step that ran and said no.
    var stepStatus: StepStatus {
        if accepted, case .protocolError = error, !error.errorKind.hasPrefix("tls") { return .failed }
        return error.stepStatus
    }

    var errorKind: String {
        guard accepted, case .protocolError = error, error.errorKind != "tls" else { return error.errorKind }
        return received.isEmpty ? "closed" : "protocol"
    }

    var connected: Bool? { error.connected }

    /// `accepted`: the TCP connection was; `answered`: bytes came back (on a
    /// timeout, none did before the deadline); `first_bytes`: what they were.
    var failureValues: [String: Value] {
        var v: [String: Value] = ["accepted": .bool(accepted)]
        if accepted {
            v["answered"] = .bool(!received.isEmpty)
            if !received.isEmpty { v["first_bytes"] = .string(receivedPreview) }
        }
        return v
    }

    var description: String {
        if answeredOtherProtocol { return "it answered, not in HTTP: `\(receivedPreview)`" }
        if accepted, received.isEmpty, case .protocolError = error, errorKind == "closed" {
            return "it accepted the connection and closed it without answering"
        }
        if accepted, received.isEmpty, case .timeout = error { return "it accepted the connection and sent nothing before the deadline" }
        return error.description
    }
}
