import Foundation

/// A value a step produced or a runbook named: what conditions compare.
///
/// Numbers carry no unit: times are milliseconds, sizes bytes, percentages
/// plain numbers, so `duration > 2s` compares milliseconds with 2000.
public enum Value: Sendable, Hashable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null

    /// Reads text the way a probe reports it: numbers and booleans as such,
    /// everything else as a string. PostgreSQL's `t`/`f` are booleans.
    public init(parsing text: String?) {
        guard let text else { self = .null; return }
        if let number = Double(text), text.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) == true {
            self = .number(number)
        } else if text == "t" || text == "true" {
            self = .bool(true)
        } else if text == "f" || text == "false" {
            self = .bool(false)
        } else {
            self = .string(text)
        }
    }

    public var number: Double? {
        switch self {
        case .number(let n): return n
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return Double(s)
        case .null: return nil
        }
    }

    /// Truthiness for `and`/`or`/`not` and for a bare name used as a condition.
    public var isTruthy: Bool {
        switch self {
        case .number(let n): return n != 0
        case .string(let s): return !s.isEmpty
        case .bool(let b): return b
        case .null: return false
        }
    }

    /// The value as an operator reads it in a message or a table.
    public var text: String {
        switch self {
        case .number(let n):
            if n.isFinite, n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
            return String(format: "%.2f", n)
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

extension Value: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .bool(let b): try container.encode(b)
        case .null: try container.encodeNil()
        }
    }
}
