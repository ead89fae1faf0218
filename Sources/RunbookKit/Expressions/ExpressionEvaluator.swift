import Foundation

/// What evaluating an expression gave: a value, or `unknown` with the name
/// that had no value (a finding over it is then `unknown`, never a crash).
public enum Evaluation: Sendable, Hashable {
    case value(Value)
    case unknown(name: String)

    /// True only for a known, truthy value.
    public var holds: Bool {
        if case .value(let v) = self { return v.isTruthy }
        return false
    }
}

/// Where names get their values when an expression is evaluated.
public protocol ValueScope {
    func value(of name: String) -> Value?
}

extension Expression {
    /// Evaluates against `scope`. A name with no value gives `.unknown` at
    /// once, except where `and`/`or` have already decided the answer.
    public func evaluate(in scope: some ValueScope) -> Evaluation {
        switch self {
        case .literal(let v):
            return .value(v)
        case .name(let n, _):
            guard let v = scope.value(of: n) else { return .unknown(name: n) }
            return .value(v)
        case .not(let e):
            switch e.evaluate(in: scope) {
            case .value(let v): return .value(.bool(!v.isTruthy))
            case let unknown: return unknown
            }
        case .and(let a, let b):
            let left = a.evaluate(in: scope)
            if case .value(let v) = left, !v.isTruthy { return .value(.bool(false)) }
            let right = b.evaluate(in: scope)
            if case .value(let v) = right, !v.isTruthy { return .value(.bool(false)) }
            if case .unknown = left { return left }
            if case .unknown = right { return right }
            return .value(.bool(true))
        case .or(let a, let b):
            let left = a.evaluate(in: scope)
            if case .value(let v) = left, v.isTruthy { return .value(.bool(true)) }
            let right = b.evaluate(in: scope)
            if case .value(let v) = right, v.isTruthy { return .value(.bool(true)) }
            if case .unknown = left { return left }
            if case .unknown = right { return right }
            return .value(.bool(false))
        case .compare(let a, let op, let b):
            let left = a.evaluate(in: scope)
            guard case .value(let l) = left else { return left }
            let right = b.evaluate(in: scope)
            guard case .value(let r) = right else { return right }
            return .value(.bool(Self.compare(l, op, r)))
        }
    }

    static func compare(_ l: Value, _ op: ComparisonOperator, _ r: Value) -> Bool {
        switch op {
        case .matches, .notMatches:
            let matched = Self.matches(l.text, pattern: r.text)
            return op == .matches ? matched : !matched
        case .equal: return equal(l, r)
        case .notEqual: return !equal(l, r)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: Int
            if let x = l.number, let y = r.number, !isNull(l), !isNull(r) {
                order = x < y ? -1 : (x > y ? 1 : 0)
            } else if isNull(l) || isNull(r) {
                return false
            } else {
                order = l.text < r.text ? -1 : (l.text > r.text ? 1 : 0)
            }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }

    private static func isNull(_ v: Value) -> Bool { v == .null }

    private static func equal(_ l: Value, _ r: Value) -> Bool {
        if isNull(l) || isNull(r) { return isNull(l) && isNull(r) }
        if case .string = l, case .string = r { return l.text == r.text }
        if let x = l.number, let y = r.number { return x == y }
        return l.text == r.text
    }

    private static func matches(_ text: String, pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        let range = NSRange(text.startIndex..., in: text)
        return regex.firstMatch(in: text, range: range) != nil
    }
}

/// A scope over a plain dictionary; handy for tests and for inputs.
public struct DictionaryScope: ValueScope, Sendable {
    public var values: [String: Value]
    public init(_ values: [String: Value]) { self.values = values }
    public func value(of name: String) -> Value? { values[name] }
}
