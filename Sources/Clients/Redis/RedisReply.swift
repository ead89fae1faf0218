import Foundation

/// A Redis reply, as hiredis hands it over, in Swift.
public indirect enum RedisReply: Sendable, Hashable {
    case status(String)
    case error(String)
    case integer(Int64)
    case string(String)
    case array([RedisReply])
    case null

    /// The reply as redis-cli would print it.
    public var text: String {
        switch self {
        case .status(let s): return s
        case .error(let e): return "(error) \(e)"
        case .integer(let i): return "(integer) \(i)"
        case .string(let s): return s
        case .null: return "(nil)"
        case .array(let items):
            if items.isEmpty { return "(empty array)" }
            return items.enumerated().map { "\($0.offset + 1)) \($0.element.text)" }.joined(separator: "\n")
        }
    }
}

/// Why talking to Redis failed.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreachable(String)
    case authenticationFailed(String)
    case timeout(String)
    /// The server answered with an error: WRONGTYPE, NOSCRIPT, ERR...
    case commandFailed(code: String, message: String)
    case connectionLost(String)
    case badURL(String)

    public var description: String {
        switch self {
        case .unreachable(let m): return "Redis unreachable: \(m)"
        case .authenticationFailed(let m): return "Redis authentication failed: \(m)"
        case .timeout(let m): return "Redis timed out: \(m)"
        case .commandFailed(_, let m): return "Redis error: \(m)"
        case .connectionLost(let m): return "Redis connection lost: \(m)"
        case .badURL(let m): return "Redis URL: \(m)"
        }
    }

    /// The error's first word (WRONGTYPE, NOSCRIPT, NOAUTH, ERR...).
    public var code: String? {
        if case .commandFailed(let code, _) = self { return code }
        return nil
    }

    static func fromReply(_ message: String) -> RedisError {
        let code = message.split(separator: " ").first.map(String.init) ?? "ERR"
        if code == "NOAUTH" || code == "WRONGPASS" || message.contains("invalid password") {
            return .authenticationFailed(message)
        }
        return .commandFailed(code: code, message: message)
    }
}

/// Where a Redis server is: `redis://[[user]:password@]host[:port][/db]`.
public struct RedisURL: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public static let `default` = RedisURL(host: "127.0.0.1", port: 6379, username: nil, password: nil, database: 0)

    public init(host: String, port: Int, username: String?, password: String?, database: Int) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    public init(parsing text: String) throws(RedisError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw .badURL("not a URL such as redis://127.0.0.1:6379/0")
        }
        guard scheme == "redis" else {
            throw .badURL("scheme `\(scheme)` is not supported (use redis://)")
        }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        port = components.port ?? 6379
        guard (1...65535).contains(port) else { throw .badURL("port \(port) is not between 1 and 65535") }
        username = components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if path.isEmpty {
            database = 0
        } else if let db = Int(path), db >= 0 {
            database = db
        } else {
            throw .badURL("database `\(path)` must be a number")
        }
    }
}
