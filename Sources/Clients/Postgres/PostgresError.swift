import Foundation

/// Why talking to PostgreSQL failed. Descriptions are one line and never
/// hold a password: libpq's messages name hosts and users, not secrets.
public enum PostgresError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing answered: refused, no route, no such host.
    case unreachable(String)
    /// The server answered and refused the credentials.
    case authenticationFailed(String)
    /// Connecting or a query took longer than allowed.
    case timeout(String)
    /// The server ran the query and reported an error.
    case queryFailed(sqlstate: String, message: String)
    /// The connection broke mid-way.
    case connectionLost(String)
    /// The operator interrupted the query; it was cancelled on the server.
    case cancelled
    /// The URL or connection string could not be used.
    case badConfiguration(String)

    public var description: String {
        switch self {
        case .unreachable(let m): return "PostgreSQL unreachable: \(m)"
        case .authenticationFailed(let m): return "PostgreSQL authentication failed: \(m)"
        case .timeout(let m): return "PostgreSQL timed out: \(m)"
        case .queryFailed(let code, let m): return "query failed (SQLSTATE \(code)): \(m)"
        case .connectionLost(let m): return "PostgreSQL connection lost: \(m)"
        case .cancelled: return "query cancelled"
        case .badConfiguration(let m): return "PostgreSQL connection settings: \(m)"
        }
    }

    /// The SQLSTATE, when the server gave one.
    public var sqlstate: String? {
        if case .queryFailed(let code, _) = self { return code }
        return nil
    }

    /// Sorts a libpq connection failure message into a case.
    static func classifyConnectFailure(_ raw: String) -> PostgresError {
        let message = oneLine(raw)
        let lower = message.lowercased()
        if lower.contains("password authentication failed") || lower.contains("no password supplied")
            || lower.contains("authentication failed") || lower.contains("no pg_hba.conf entry")
            || lower.contains("role") && lower.contains("does not exist")
        {
            return .authenticationFailed(message)
        }
        if lower.contains("timeout expired") || lower.contains("timed out") { return .timeout(message) }
        if lower.contains("invalid") && (lower.contains("uri") || lower.contains("connection option") || lower.contains("port")) {
            return .badConfiguration(message)
        }
        return .unreachable(message)
    }

    /// libpq messages span lines ("connection to server ... failed: \n\tIs the server running..."):
    /// the operator gets them on one.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
