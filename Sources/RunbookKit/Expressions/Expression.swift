import Foundation

/// A condition or a computed value in a runbook: a small, safe language.
///
/// Comparisons (`== != < <= > >=`), regular-expression match (`=~`, `!~`),
/// `and`/`or`/`not`, parentheses, numbers with units (`250ms`, `2s`, `90%`,
/// `512MB`), quoted strings, `true`/`false`/`null`, and dotted names of
/// results (`idle`, `steps.connections.idle`). Nothing in it can run code.
public indirect enum Expression: Sendable, Hashable {
    case literal(Value)
    case name(String, column: Int)
    case not(Expression)
    case and(Expression, Expression)
    case or(Expression, Expression)
    case compare(Expression, ComparisonOperator, Expression)

    public enum ComparisonOperator: String, Sendable, Hashable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<="
        case greater = ">", greaterOrEqual = ">=", matches = "=~", notMatches = "!~"
    }

    /// Names that have a value, not null, whenever the expression holds: a
    /// name tested as true, compared by order, matched, or equal to a value;
    /// both sides of an `and`, what both sides of an `or` guarantee.
    public var guaranteed: Set<String> {
        switch self {
        case .literal, .not: return []
        case .name(let n, _): return [n]
        case .and(let a, let b): return a.guaranteed.union(b.guaranteed)
        case .or(let a, let b): return a.guaranteed.intersection(b.guaranteed)
        case .compare(let a, let op, let b):
            func named(_ e: Expression) -> Set<String> {
                if case .name(let n, _) = e { return [n] }
                return []
            }
            switch op {
            case .less, .lessOrEqual, .greater, .greaterOrEqual, .matches: return named(a).union(named(b))
            case .equal:
                if case .literal(let v) = b, v != .null { return named(a) }
                if case .literal(let v) = a, v != .null { return named(b) }
                return []
            case .notEqual, .notMatches: return []
            }
        }
    }

    /// Every name the expression reads, in order.
    public var names: [String] {
        switch self {
        case .literal: return []
        case .name(let n, _): return [n]
        case .not(let e): return e.names
        case .and(let a, let b), .or(let a, let b), .compare(let a, _, let b): return a.names + b.names
        }
    }
}

/// A fault in an expression's text, pointing at the column (1-based) where it is.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var column: Int
    public var description: String { "column \(column): \(message)" }
}
