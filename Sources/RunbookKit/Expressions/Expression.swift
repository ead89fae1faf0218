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
